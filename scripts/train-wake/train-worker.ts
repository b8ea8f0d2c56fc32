/**
 * Trains one ensemble member in a worker thread (scripts/train-wake runs members on every core;
 * the thread starts at train-worker.mjs, which registers the TypeScript loader).
 * Each member has its own seed and random stream, so the result is the same as training it on
 * the main thread: parallelism changes the wall time, never the weights.
 */
import { parentPort, workerData } from "node:worker_threads";
import { serializeWakeModel } from "../../agent/wake/classifier.ts";
import type { Scene } from "./dataset.ts";
import { train, type Sample, type TrainOptions } from "./train.ts";

const { scenes, samples, options } = workerData as { scenes: Scene[]; samples: Sample[]; options: TrainOptions };
parentPort!.postMessage({ model: serializeWakeModel(train(scenes, samples, options, (l) => parentPort!.postMessage({ log: l }))) });
