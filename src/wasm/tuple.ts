// placeholder: the tuple façade is being written
export {};
