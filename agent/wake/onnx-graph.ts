/**
 * Reads what the speech-feature engine needs from an ONNX file: the graph's nodes in order
 * (operator, inputs, outputs, attributes) and its constant tensors (initializers and Constant
 * nodes), as float32. A small protobuf reader for the few fields of onnx.proto used here
 * (ModelProto.graph 7; GraphProto.node 1, initializer 5; NodeProto input 1, output 2, op_type 4,
 * attribute 5; AttributeProto name 1, f 2, i 3, t 5, floats 7, ints 8; TensorProto dims 1,
 * data_type 2, float_data 4, int64_data 7, name 8, raw_data 9). Nothing is executed from the file.
 */

export interface OnnxTensor {
  dims: number[];
  /** Values as float32 (float and integer tensors alike). */
  data: Float32Array;
}

export type OnnxAttr = number | number[] | OnnxTensor;

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  /** Initializers and the outputs of Constant nodes, by name. */
  initializers: Map<string, OnnxTensor>;
}

type Field = { field: number; wire: number; int: bigint; start: number; end: number };

function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  let p = start;
  const varint = (): bigint => {
    let r = 0n;
    let s = 0n;
    for (;;) {
      if (p >= end) throw new Error("truncated varint");
      const b = buf[p++]!;
      r |= BigInt(b & 0x7f) << s;
      s += 7n;
      if (!(b & 0x80)) return r;
    }
  };
  while (p < end) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      yield { field, wire, int: varint(), start: p, end: p };
    } else if (wire === 2) {
      const len = Number(varint());
      if (p + len > end) throw new Error("truncated field");
      yield { field, wire, int: 0n, start: p, end: p + len };
      p += len;
    } else if (wire === 5) {
      yield { field, wire, int: 0n, start: p, end: p + 4 };
      p += 4;
    } else if (wire === 1) {
      yield { field, wire, int: 0n, start: p, end: p + 8 };
      p += 8;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const text = (buf: Uint8Array, f: Field): string => new TextDecoder().decode(buf.subarray(f.start, f.end));

/** Packed or unpacked repeated varints. */
function ints(buf: Uint8Array, f: Field, into: number[]): void {
  if (f.wire === 0) into.push(Number(BigInt.asIntN(64, f.int)));
  else for (const g of fields(buf, f.start, f.end)) into.push(Number(BigInt.asIntN(64, g.int)));
}

function tensor(buf: Uint8Array, start: number, end: number): { name: string; t: OnnxTensor } {
  let name = "";
  const dims: number[] = [];
  let type = 0;
  let raw: Field | null = null;
  const floats: number[] = [];
  const longs: number[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const f of fields(buf, start, end)) {
    if (f.field === 1) ints(buf, f, dims);
    else if (f.field === 2) type = Number(f.int);
    else if (f.field === 8) name = text(buf, f);
    else if (f.field === 9) raw = f;
    else if (f.field === 7) ints(buf, f, longs);
    else if (f.field === 4) {
      if (f.wire === 5) floats.push(view.getFloat32(f.start, true));
      else for (let q = f.start; q + 4 <= f.end; q += 4) floats.push(view.getFloat32(q, true));
    }
  }
  let data: Float32Array;
  if (raw) {
    const n = raw.end - raw.start;
    if (type === 1) {
      data = new Float32Array(n / 4);
      for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(raw.start + 4 * i, true);
    } else if (type === 7) {
      data = new Float32Array(n / 8);
      for (let i = 0; i < data.length; i++) data[i] = Number(view.getBigInt64(raw.start + 8 * i, true));
    } else data = new Float32Array(0);
  } else data = Float32Array.from(floats.length ? floats : longs);
  return { name, t: { dims, data } };
}

export function readOnnx(buf: Uint8Array): OnnxGraph {
  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, OnnxTensor>();
  let graphs = 0;
  for (const m of fields(buf, 0, buf.length)) {
    if (m.field !== 7 || m.wire !== 2) continue;
    graphs++;
    for (const g of fields(buf, m.start, m.end)) {
      if (g.field === 5) {
        const { name, t } = tensor(buf, g.start, g.end);
        initializers.set(name, t);
      } else if (g.field === 1) {
        const node: OnnxNode = { op: "", inputs: [], outputs: [], attrs: {} };
        for (const n of fields(buf, g.start, g.end)) {
          if (n.field === 1) node.inputs.push(text(buf, n));
          else if (n.field === 2) node.outputs.push(text(buf, n));
          else if (n.field === 4) node.op = text(buf, n);
          else if (n.field === 5) {
            let name = "";
            let value: OnnxAttr | undefined;
            const list: number[] = [];
            for (const a of fields(buf, n.start, n.end)) {
              if (a.field === 1) name = text(buf, a);
              else if (a.field === 2) value = new DataView(buf.buffer, buf.byteOffset + a.start, 4).getFloat32(0, true);
              else if (a.field === 3) value = Number(BigInt.asIntN(64, a.int));
              else if (a.field === 5) value = tensor(buf, a.start, a.end).t;
              else if (a.field === 8) ints(buf, a, list);
              else if (a.field === 7)
                for (let q = a.start; q + 4 <= a.end; q += 4) list.push(new DataView(buf.buffer, buf.byteOffset + q, 4).getFloat32(0, true));
            }
            node.attrs[name] = value ?? list;
          }
        }
        if (node.op === "Constant" && node.attrs.value && typeof node.attrs.value === "object" && !Array.isArray(node.attrs.value))
          initializers.set(node.outputs[0]!, node.attrs.value);
        nodes.push(node);
      }
    }
  }
  if (graphs !== 1) throw new Error("not an ONNX model (no graph)");
  return { nodes, initializers };
}
