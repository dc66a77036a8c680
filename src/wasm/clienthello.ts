// placeholder: the clienthello façade is being written
export {};
