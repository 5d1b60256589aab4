/**
 * The base class of every "these bytes or this text are not well-formed" error a decoder raises: PlainBuffer,
 * protobuf messages, FlatBuffer rows, tag strings, meta query conditions. A server answers any of them with
 * 400 OTSParameterInvalid and the error's message (one predicate for every API); a client turns them into
 * a bad-response error. Subclasses only set `name`, so logs still say which decoder refused.
 */
export class FormatError extends Error {
  override readonly name: string = 'FormatError';
}
