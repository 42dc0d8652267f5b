/** SOL 004 CSAR reading and SOL 001 TOSCA VNFD/NSD parsing into a typed model: bytes in, model or precise errors out. */
export {};
