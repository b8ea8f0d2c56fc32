/**
 * A real mosquitto (Debian) for tests: TLS with a CA made here by openssl, password auth, a
 * free loopback port, persistence (so retained messages survive a restart), logs on stderr.
 * Ready when it logs that it is running, not when the port answers.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./https-receiver.ts";

export interface Broker {
  url: string;
  port: number;
  ca: string;
  username: string;
  passwordFile: string;
  password: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

function makeCa(dir: string): { ca: string; cert: string; key: string } {
  const ca = join(dir, "ca.pem");
  const caKey = join(dir, "ca.key");
  const key = join(dir, "server.key");
  const csr = join(dir, "server.csr");
  const cert = join(dir, "server.pem");
  const ext = join(dir, "ext.cnf");
  const q = { stdio: "ignore" as const };
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=spa test CA"], q);
  execFileSync("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"], q);
  writeFileSync(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  execFileSync("openssl", ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext], q);
  return { ca, cert, key };
}

export async function startBroker(dir: string, opts: { tls?: boolean } = {}): Promise<Broker> {
  const tls = opts.tls ?? true;
  const port = await freePort();
  const pem = tls ? makeCa(dir) : null;
  const username = "device";
  const password = "s3cret-broker-pass";
  const pwfile = join(dir, "passwd");
  writeFileSync(pwfile, "");
  execFileSync("mosquitto_passwd", ["-b", pwfile, username, password], { stdio: "ignore" });
  const passwordFile = join(dir, "password.txt");
  writeFileSync(passwordFile, password + "\n", { mode: 0o600 });
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      "per_listener_settings false",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "log_type notice",
      "log_type information",
      ...(process.getuid?.() === 0 ? ["user root"] : []),
      "persistence true",
      `persistence_location ${dir}/`,
      "allow_anonymous false",
      `password_file ${pwfile}`,
      "max_inflight_messages 0",
      `listener ${port} 127.0.0.1`,
      ...(pem ? [`cafile ${pem.ca}`, `certfile ${pem.cert}`, `keyfile ${pem.key}`] : []),
      "",
    ].join("\n"),
  );
  let proc: ChildProcess | null = null;
  const b: Broker = {
    url: `${tls ? "mqtts" : "mqtt"}://127.0.0.1:${port}`,
    port,
    ca: pem?.ca ?? "",
    username,
    passwordFile,
    password,
    start: () =>
      new Promise<void>((resolve, reject) => {
        const p = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
        proc = p;
        let log = "";
        const timer = setTimeout(() => reject(new Error(`mosquitto did not start: ${log}`)), 10_000);
        p.stderr!.on("data", (d: Buffer) => {
          log += d.toString();
          if (/mosquitto version [\d.]+ running/.test(log)) {
            clearTimeout(timer);
            resolve();
          }
        });
        p.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`mosquitto exited ${code}: ${log}`));
        });
      }),
    stop: async () => {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      const gone = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      await gone;
    },
  };
  await b.start();
  return b;
}
