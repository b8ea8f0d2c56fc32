import type { Handler } from "./context.ts";

/** The household's choice: may uploads be used to train speech models. */
export const trainingUse: Handler<"training-use"> = (msg, ctx) => {
  ctx.setTrainingUse(msg.allowed);
  return { reply: { ok: true, data: { trainingUse: msg.allowed } } };
};
