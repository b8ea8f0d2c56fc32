/**
 * The one hot loop of the speech-embedding network, as a WebAssembly module with 128-bit SIMD,
 * assembled here byte by byte (no compiler, no binary in the repository): a 2-D convolution over
 * rows of a channels-last feature map, with the network's activation fused in.
 *
 *   conv(inp, win, cin, w, b, cout, kh, kw, pad, out, rows, act, alpha, floor)
 *
 * - inp: `rows + kh - 1` input rows of `win` columns × `cin` channels (float32, byte offset);
 * - w: weights as [dy][dx][ci][co]; b: `cout` biases; out: `rows` rows of `wout = win + 2·pad − kw + 1`
 *   columns × `cout` channels; the input is zero-padded by `pad` columns on each side (rows are not padded);
 * - act ≠ 0: y = max(max(x, alpha·x), floor) (LeakyReLU, then the network's lower clamp).
 *
 * Output channels go 24 at a time (six f32x4 accumulators): every layer of the network has a
 * multiple of 24 output channels; the caller checks that.
 */

/** Output channels per inner block. */
export const CO_BLOCK = 24;

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
};

/** A function body under construction: named locals, structured loops. */
class Body {
  readonly code: number[] = [];
  readonly #locals = new Map<string, number>();
  readonly #extra: number[] = [];
  readonly #params: number;
  constructor(params: Array<[string, number]>) {
    params.forEach(([n], i) => this.#locals.set(n, i));
    this.#params = params.length;
  }
  local(n: string, type: number): void {
    this.#locals.set(n, this.#params + this.#extra.length);
    this.#extra.push(type);
  }
  #idx(n: string): number {
    const i = this.#locals.get(n);
    if (i === undefined) throw new Error(`no local ${n}`);
    return i;
  }
  get(n: string): this {
    this.code.push(0x20, ...uleb(this.#idx(n)));
    return this;
  }
  set(n: string): this {
    this.code.push(0x21, ...uleb(this.#idx(n)));
    return this;
  }
  i32(v: number): this {
    this.code.push(0x41, ...sleb(v));
    return this;
  }
  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  simd(op: number, ...imm: number[]): this {
    this.code.push(0xfd, ...uleb(op), ...imm);
    return this;
  }
  /** counter = from; while (counter < limit) { body; counter += step } (signed compare). */
  for(counter: string, from: () => void, limit: () => void, step: number, body: () => void): this {
    from();
    this.set(counter);
    this.code.push(0x02, 0x40, 0x03, 0x40);
    this.get(counter);
    limit();
    this.code.push(0x4e, 0x0d, 1); // i32.ge_s; br_if 1 (leave)
    body();
    this.get(counter).i32(step).op(0x6a).set(counter);
    this.code.push(0x0c, 0, 0x0b, 0x0b); // br 0 (again); end loop; end block
    return this;
  }
  encode(): number[] {
    const groups: number[][] = this.#extra.map((t) => [1, t]);
    const fn = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(fn.length), ...fn];
  }
}

// Opcodes used below.
const ADD = 0x6a;
const SUB = 0x6b;
const MUL = 0x6c;
const SHL = 0x74;
const LT_S = 0x48;
const GT_S = 0x4a;
const SELECT = 0x1b;
const F32_LOAD = [0x2a, 2, 0];
const V_LOAD = 0x00;
const V_STORE = 0x0b;
const F32X4_SPLAT = 0x13;
const F32X4_ADD = 0xe4;
const F32X4_MUL = 0xe6;
const F32X4_MAX = 0xe9;

function convBody(): number[] {
  const params: Array<[string, number]> = [
    ["inp", I32],
    ["win", I32],
    ["cin", I32],
    ["w", I32],
    ["b", I32],
    ["cout", I32],
    ["kh", I32],
    ["kw", I32],
    ["pad", I32],
    ["out", I32],
    ["rows", I32],
    ["act", I32],
    ["alpha", F32],
    ["floor", F32],
  ];
  const f = new Body(params);
  for (const n of ["wout", "y", "x", "co", "dy", "dx", "dxlo", "dxhi", "ci", "ip", "wp", "op", "wstride"]) f.local(n, I32);
  const ACC = Array.from({ length: CO_BLOCK / 4 }, (_, k) => `acc${k}`);
  for (const n of [...ACC, "s", "va", "vf"]) f.local(n, V128);

  // wout = win + 2·pad − kw + 1; wstride = cout·4 (bytes from one ci's weights to the next)
  f.get("win").get("pad").i32(1).op(SHL, ADD).get("kw").op(SUB).i32(1).op(ADD).set("wout");
  f.get("cout").i32(2).op(SHL).set("wstride");
  f.get("alpha").simd(F32X4_SPLAT).set("va");
  f.get("floor").simd(F32X4_SPLAT).set("vf");
  f.for(
    "y",
    () => f.i32(0),
    () => f.get("rows"),
    1,
    () =>
      f.for(
        "x",
        () => f.i32(0),
        () => f.get("wout"),
        1,
        () => {
          // Taps that fall on padding are skipped: dx in [max(0, pad − x), min(kw, win + pad − x)).
          f.get("pad").get("x").op(SUB).i32(0).get("pad").get("x").op(SUB).i32(0).op(GT_S, SELECT).set("dxlo");
          f.get("kw").get("win").get("pad").op(ADD).get("x").op(SUB);
          f.get("kw").get("win").get("pad").op(ADD).get("x").op(SUB).op(LT_S, SELECT).set("dxhi");
          f.for(
            "co",
            () => f.i32(0),
            () => f.get("cout"),
            CO_BLOCK,
            () => {
              ACC.forEach((a, k) =>
                f
                  .get("b")
                  .get("co")
                  .i32(2)
                  .op(SHL, ADD)
                  .simd(V_LOAD, 2, k * 16)
                  .set(a),
              );
              f.for(
                "dy",
                () => f.i32(0),
                () => f.get("kh"),
                1,
                () =>
                  f.for(
                    "dx",
                    () => f.get("dxlo"),
                    () => f.get("dxhi"),
                    1,
                    () => {
                      // ip = inp + (((y + dy)·win + x + dx − pad)·cin)·4
                      f.get("inp").get("y").get("dy").op(ADD).get("win").op(MUL).get("x").op(ADD).get("dx").op(ADD).get("pad").op(SUB);
                      f.get("cin").op(MUL).i32(2).op(SHL, ADD).set("ip");
                      // wp = w + (((dy·kw + dx)·cin)·cout + co)·4
                      f.get("w").get("dy").get("kw").op(MUL).get("dx").op(ADD).get("cin").op(MUL).get("cout").op(MUL).get("co").op(ADD);
                      f.i32(2).op(SHL, ADD).set("wp");
                      f.for(
                        "ci",
                        () => f.i32(0),
                        () => f.get("cin"),
                        1,
                        () => {
                          f.get("ip")
                            .op(...F32_LOAD)
                            .simd(F32X4_SPLAT)
                            .set("s");
                          ACC.forEach((a, k) => {
                            f.get(a)
                              .get("s")
                              .get("wp")
                              .simd(V_LOAD, 2, k * 16)
                              .simd(F32X4_MUL)
                              .simd(F32X4_ADD)
                              .set(a);
                          });
                          f.get("ip").i32(4).op(ADD).set("ip");
                          f.get("wp").get("wstride").op(ADD).set("wp");
                        },
                      );
                    },
                  ),
              );
              // op = out + ((y·wout + x)·cout + co)·4
              f.get("out").get("y").get("wout").op(MUL).get("x").op(ADD).get("cout").op(MUL).get("co").op(ADD).i32(2).op(SHL, ADD).set("op");
              f.get("act").op(0x04, 0x40); // if act
              for (const a of ACC) f.get(a).get(a).get("va").simd(F32X4_MUL).simd(F32X4_MAX).get("vf").simd(F32X4_MAX).set(a);
              f.op(0x0b);
              ACC.forEach((a, k) =>
                f
                  .get("op")
                  .get(a)
                  .simd(V_STORE, 2, k * 16),
              );
            },
          );
        },
      ),
  );
  return f.encode();
}

/** The module: one exported function `conv`, one exported memory of `pages` × 64 KiB. */
export function convModuleBytes(pages: number): Uint8Array {
  const convType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32], [I32], [I32], [I32], [I32], [I32], [I32], [F32], [F32]]), ...vec([])];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([convType])),
    ...section(3, vec([uleb(0)])),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(
      7,
      vec([
        [...name("memory"), 0x02, 0],
        [...name("conv"), 0x00, 0],
      ]),
    ),
    ...section(10, vec([convBody()])),
  ];
  return Uint8Array.from(bytes);
}

export interface ConvKernel {
  memory: WebAssembly.Memory;
  conv: (
    inp: number,
    win: number,
    cin: number,
    w: number,
    b: number,
    cout: number,
    kh: number,
    kw: number,
    pad: number,
    out: number,
    rows: number,
    act: number,
    alpha: number,
    floor: number,
  ) => void;
}

/** Compiles and instantiates the kernel with `bytes` of memory (rounded up to 64 KiB pages). */
export function convKernel(bytes: number): ConvKernel {
  const mod = new WebAssembly.Module(convModuleBytes(Math.ceil(bytes / 65536)) as Uint8Array<ArrayBuffer>);
  const inst = new WebAssembly.Instance(mod, {});
  return inst.exports as unknown as ConvKernel;
}
