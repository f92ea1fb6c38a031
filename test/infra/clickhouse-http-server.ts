/**
 * Serves the ClickHouse HTTP interface on 127.0.0.1 from the clickhouse-local
 * engine inside libchdb (npm package chdb), until this process is killed.
 * Started as a child process by clickhouse-http.ts:
 *
 *   node test/infra/clickhouse-http-server.ts --path DIR --http-port PORT
 *
 * libchdb's `query_stable_v2(argc, argv)` runs clickhouse-local with
 * command-line arguments. `SYSTEM START LISTEN HTTP` opens the HTTP port, and
 * the endless query after it keeps the call, and so the listener, alive. The
 * in-process connection API of chdb cannot open a listener.
 */
import { parseArgs } from 'node:util';
import koffi from 'koffi';
import { libchdbPath } from 'chdb/libchdb';

// Exit code when the engine call returns, which it does only on an error
// (for instance a port in use). The engine prints the error to stderr.
const ENGINE_STOPPED_EXIT_CODE = 70;

// The engine thread's stack. ClickHouse rejects queries once a thread has used
// half of its stack, so the engine gets the upper half minus a reserve.
const THREAD_STACK_BYTES = 64 * 1024 * 1024;
// glibc puts the thread descriptor and static TLS at the top of a
// caller-provided stack. libchdb's TLS segment is about 43 KiB.
const THREAD_TOP_RESERVE_BYTES = 2 * 1024 * 1024;
// The exit context runs only after the engine context has returned.
const EXIT_CONTEXT_STACK_BYTES = 64 * 1024;
// glibc's ucontext_t on x86-64 is 968 bytes (glibc 2.36), so 4 KiB leaves room.
const UCONTEXT_BYTES = 4096;
// Offsets in glibc's x86-64 ucontext_t: uc_link, then stack_t uc_stack.
const UC_LINK_OFFSET = 8;
const UC_STACK_SP_OFFSET = 16;
const UC_STACK_FLAGS_OFFSET = 24;
const UC_STACK_SIZE_OFFSET = 32;

const { values } = parseArgs({
  options: {
    'path': { type: 'string' },
    'http-port': { type: 'string' },
  },
});
const dataPath = values.path;
const httpPort = Number(values['http-port']);
if (!dataPath || !Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535) {
  console.error(`clickhouse-http-server: invalid arguments ${JSON.stringify(values)}: expected --path DIR --http-port 1..65535`);
  process.exit(64);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`clickhouse-http-server: unsupported platform ${process.platform}-${process.arch}: the thread set-up below assumes glibc on x86-64`);
  process.exit(69);
}

const engineArgs = [
  'clickhouse',
  `--path=${dataPath}`,
  `--http_port=${httpPort}`,
  '--listen_host=127.0.0.1',
  '--multiquery',
  'SYSTEM START LISTEN HTTP; SELECT sleepEachRow(1) FROM system.numbers SETTINGS max_block_size = 1',
];

const libraryPath = libchdbPath();
const libc = koffi.load('libc.so.6');
const libchdb = koffi.load(libraryPath);

const alignedAlloc = libc.func('void *aligned_alloc(size_t alignment, size_t size)');
const strdup = libc.func('void *strdup(const char *text)');
const getcontext = libc.func('int getcontext(void *context)');
const makecontext = libc.func('void makecontext(void *context, void *entry, int argc, ...)');
const pthreadAttrInit = libc.func('int pthread_attr_init(void *attr)');
const pthreadAttrSetstack = libc.func('int pthread_attr_setstack(void *attr, void *stack, size_t size)');
const pthreadCreate = libc.func('int pthread_create(void *thread, void *attr, void *start, void *arg)');

/*
 * Why not call query_stable_v2 directly through koffi: koffi runs every call on
 * a stack of its own, outside the range that pthread_getattr_np reports for the
 * thread, and ClickHouse's stack check then fails every query with
 * TOO_DEEP_RECURSION ("Stack size too large"). So the call runs on a new
 * thread whose stack this script allocates: the thread starts in setcontext(),
 * which switches to a context that makecontext() set up to call
 * query_stable_v2(argc, argv) on the upper part of that same stack. When the
 * call returns, uc_link leads to a second context that calls _exit().
 */
function startEngineThread(): void {
  const argv = allocate(16, 8 * (engineArgs.length + 1));
  engineArgs.forEach((arg, index) => koffi.encode(argv, 8 * index, 'void *', strdup(arg)));
  koffi.encode(argv, 8 * engineArgs.length, 'void *', null);

  const stack = allocate(65536, THREAD_STACK_BYTES);

  const exitContext = createContext(stack, BigInt(EXIT_CONTEXT_STACK_BYTES), null);
  makecontext(exitContext, libc.symbol('_exit'), 1, 'int64_t', BigInt(ENGINE_STOPPED_EXIT_CODE));

  const engineBottom = stack + BigInt(THREAD_STACK_BYTES / 2);
  const engineSize = BigInt(THREAD_STACK_BYTES / 2 - THREAD_TOP_RESERVE_BYTES);
  const engineContext = createContext(engineBottom, engineSize, exitContext);
  makecontext(engineContext, libchdb.symbol('query_stable_v2'), 2,
    'int64_t', BigInt(engineArgs.length), 'void *', argv);

  const attr = allocate(64, 256);
  check('pthread_attr_init', pthreadAttrInit(attr));
  check('pthread_attr_setstack', pthreadAttrSetstack(attr, stack, THREAD_STACK_BYTES));
  const thread = allocate(16, 16);
  check('pthread_create', pthreadCreate(thread, attr, libc.symbol('setcontext'), engineContext));
}

function createContext(stackBottom: bigint, stackSize: bigint, link: bigint | null): bigint {
  const context = allocate(64, UCONTEXT_BYTES);
  if (getcontext(context) !== 0) throw new Error('getcontext failed');
  koffi.encode(context, UC_LINK_OFFSET, 'void *', link);
  koffi.encode(context, UC_STACK_SP_OFFSET, 'uint64_t', stackBottom);
  koffi.encode(context, UC_STACK_FLAGS_OFFSET, 'int', 0);
  koffi.encode(context, UC_STACK_SIZE_OFFSET, 'uint64_t', stackSize);
  return context;
}

/**
 * Allocates native memory that is never freed, because the engine uses it
 * until the process ends. koffi 3 represents pointers as bigint.
 */
function allocate(alignment: number, size: number): bigint {
  const pointer = alignedAlloc(alignment, size) as bigint | null;
  if (pointer === null) throw new Error(`aligned_alloc(${alignment}, ${size}) failed`);
  return pointer;
}

function check(call: string, result: number): void {
  if (result !== 0) throw new Error(`${call} failed with error ${result}`);
}

startEngineThread();
console.info(`clickhouse-http-server: engine thread started: library=${libraryPath} path=${dataPath} http_port=${httpPort}`);

// The engine thread does all the work. The timer keeps Node's event loop, and
// so the process, alive until the parent sends a signal.
setInterval(() => undefined, 60_000);
