// placeholder: the conntrack façade is being written
export {};
