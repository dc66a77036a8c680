// placeholder: the hash façade is being written
export {};
