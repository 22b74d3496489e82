/**
 * A view: the fields of a kind that a cache keeps, declared once as a
 * protobuf {@link MessageSchema} (field numbers for the protobuf decoder, JSON
 * names for everything else) with, where a field is kept in a form of its
 * own, its `keep` function. The protobuf decoder reads exactly the declared
 * fields; {@link projectView} keeps exactly those of a JSON object (or of a
 * decoded one) and applies `keep`. An object read either way is cached the
 * same, and a field cannot be kept by one and missed by the other.
 *
 * @module
 */
import type { FieldSchema, MessageSchema } from "../kube/protobuf.ts";

type Source = Readonly<Record<string, unknown>>;
type Projector = (value: Source) => Record<string, unknown>;
/** Copies one field from a source object to the projection. */
type Step = (source: Source, out: Record<string, unknown>) => void;

/**
 * Each view compiled once into one step per field: walking a schema's
 * integer keys at every object (`for…in` builds an array of key strings each
 * time) cost 30 µs per object.
 */
const compiled = new WeakMap<MessageSchema, Projector>();

/** A value the JSON encoding leaves out when the field is `omitempty`. */
function isEmpty(value: unknown): boolean {
  return value === "" || value === 0 || value === false;
}

/** What the protobuf decoder reads of a `jsonKeys` field: its top-level keys. */
function jsonKeys(value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value as object)) out[key] = {};
  return out;
}

function step(field: FieldSchema): Step {
  const { name, keep } = field;
  let convert: ((value: unknown) => unknown) | undefined;
  if (field.type === "message" && !field.keepsRaw) {
    const project = compile(field.schema);
    convert = field.repeated
      ? (value) => (value as Source[]).map((item) => project(item))
      : (value) => project(value as Source);
  } else if (field.type === "jsonKeys" && !field.keepsRaw) {
    convert = jsonKeys;
  }
  const omitEmpty = "omitEmpty" in field && field.omitEmpty === true;
  return (source, out) => {
    const raw = source[name];
    if (raw === undefined || raw === null || (omitEmpty && isEmpty(raw))) return;
    let kept = convert === undefined ? raw : convert(raw);
    if (keep !== undefined) kept = keep(kept);
    if (kept !== undefined) out[name] = kept;
  };
}

/**
 * A constructor of plain objects (their prototype is `Object.prototype`) of
 * their own: V8 sizes the objects a constructor makes to the properties they
 * get (in-object slack tracking), where objects grown from `{}` keep a part
 * of their properties in a second array. Measured: 88 bytes for an object of
 * 7 properties, as for an object literal, against 104 from `{}`; one of
 * these per view, since the size is learnt per constructor.
 */
function shapeOf(): new () => Record<string, unknown> {
  const Shape = function () {} as unknown as new () => Record<string, unknown>;
  Shape.prototype = Object.prototype;
  return Shape;
}

function compile(view: MessageSchema): Projector {
  let projector = compiled.get(view);
  if (projector === undefined) {
    const steps = Object.values(view).map(step);
    const Shape = shapeOf();
    projector = (value) => {
      const out = new Shape();
      for (let i = 0; i < steps.length; i++) steps[i](value, out);
      return out;
    };
    compiled.set(view, projector);
  }
  return projector;
}

/**
 * The declared fields of `value`, each as its `keep` makes it (given the
 * field projected, or as it came with `keepsRaw`); absent fields stay absent,
 * as do those `keep` maps to undefined and empty `omitEmpty` ones (as the
 * JSON encoding has them). Does not change `value`.
 */
export function projectView(value: Source, view: MessageSchema): Record<string, unknown> {
  return compile(view)(value);
}

/** {@link projectView} with `view` fixed, compiled now. */
export function viewProjector(view: MessageSchema): Projector {
  return compile(view);
}
