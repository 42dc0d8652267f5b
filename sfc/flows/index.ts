/** The flow compiler (chain model -> a switch's flows and groups) and the reconciler that programs them. */
export { classifierMatches, CompileCache, compileSwitch, serviceFunctionPorts, type ChainNotice, type CompiledSwitch, type CompileInput, type PortFacts } from './compiler.js';
export { emptySwitchState, flowKey, matchKey, type DesiredFlow, type DesiredGroup, type SwitchState } from './desired.js';
export * from './pipeline.js';
export { ChainProgrammer, networkTagOf, type ChainProgrammerOptions, type ChainSnapshot } from './programmer.js';
export { hasDrift, SwitchReconciler, type ApplyOutcome, type Drift } from './reconciler.js';
export { formatActions, formatInstructions, formatMatch, renderChainOnSwitch, type HopCounters, type RenderedChain, type RenderedFlow, type RenderedGroup, type RenderedSwitch } from './inspection.js';
export { defaultSelectBucket, MAX_GROUP_DEPTH, MAX_TRACE_STEPS, traceSwitch, type TraceOptions, type TraceOutput, type TracePacket, type TraceResult, type TraceStep } from './trace.js';
export { tracePath, type PathTrace, type PathTraceInput, type TracedFlow, type TracedHop, type TracedSegment, type TraceQuery } from './path-trace.js';
