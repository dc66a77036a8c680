// placeholder: the maglev façade is being written
export {};
