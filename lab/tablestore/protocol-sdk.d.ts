/** The SDK's compiled protobuf messages (protobufjs static code): the real Tablestore request/response schema. */
declare module 'tablestore/lib/protocol/tablestore_compiled_proto.js' {
  interface MessageType {
    encode(message: object): { finish(): Uint8Array };
    decode(data: Uint8Array): object;
  }
  const root: { main: { proto: Record<string, MessageType> }; filter: { proto: Record<string, MessageType> } };
  export = root;
}
