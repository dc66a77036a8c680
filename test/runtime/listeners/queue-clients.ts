/** Opens N connections to 127.0.0.1:PORT at once, sends "x" on each, prints one JSON list of what each got back ("" = reset or closed). */
const [port, n] = [Number(process.argv[2]), Number(process.argv[3])];
const replies = await Promise.all(Array.from({ length: n }, () => new Promise<string>((resolve) => {
  let got = "";
  const timer = setTimeout(() => resolve(got), 5000);
  void Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: (s) => void s.write("x"),
      data: (s, d) => {
        got += d.toString();
        clearTimeout(timer);
        resolve(got);
        s.end();
      },
      close: () => resolve(got),
      error: () => resolve(got),
      connectError: () => resolve(got),
    },
  }).catch(() => resolve(got));
})));
console.log(JSON.stringify(replies));

export {};
