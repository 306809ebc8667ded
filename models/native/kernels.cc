// Native CPU kernels for the TF.js wasm backend: matrix products, convolutions (and their gradients),
// large elementwise ops, sums and Adam, computed in place on the backend's wasm heap, with AVX-512,
// AVX2+FMA or 128-bit vectors chosen at run time. They replace XNNPACK's 128-bit wasm SIMD kernels, which
// run at ~20 GFLOP/s here against ~85 for AVX-512 (README.md, "Native CPU kernels"). Plain N-API
// (node_api.h), so the same build loads in Node and Electron.
#include <node_api.h>
#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

constexpr int KC = 256;  // depth of a packed block: an MR x KC panel of A stays in L1

struct Scratch {
  float* a = nullptr;
  float* b = nullptr;
  float* t = nullptr;
  long na = 0, nb = 0, nt = 0;
  static float* grow(float* p, long& have, long want) {
    if (want <= have) return p;
    free(p);
    void* q = nullptr;
    if (posix_memalign(&q, 64, (size_t)want * 4 + 64) != 0) abort();
    have = want;
    return (float*)q;
  }
  void reserve(long wa, long wb) { a = grow(a, na, wa); b = grow(b, nb, wb); }
  float* transposed(long n) { return t = grow(t, nt, n); }
  float* p = nullptr;
  long np = 0;
  float* partial(long n) { return p = grow(p, np, n); }
  float* c = nullptr;
  long nc = 0;
  float* columns(long n) { return c = grow(c, nc, n); }
};
thread_local Scratch scratch;  // one per engine or worker thread

// Denormal floats (below ~1.2e-38) cost an Intel core ~100 cycles an operation. Adam's first moment of a
// weight whose gradient stays zero (a dead relu unit) shrinks by β1 each step and is denormal after ~800
// steps; from then on the MLP VAE's steps took 1.8x as long (3.0 -> 5.6 ms, measured). The kernels run
// with FTZ and DAZ set (denormals read and written as zero), and put the caller's mode back on return, so
// JavaScript's own arithmetic keeps IEEE semantics; the pool's threads take the caller's mode with each job.
#if defined(__x86_64__) || defined(_M_X64)
static unsigned floatMode() { return __builtin_ia32_stmxcsr(); }
static void setFloatMode(unsigned mode) { __builtin_ia32_ldmxcsr(mode); }
constexpr unsigned FLUSH_DENORMALS = 0x8040;  // FTZ | DAZ
#else
static unsigned floatMode() { return 0; }
static void setFloatMode(unsigned) {}
constexpr unsigned FLUSH_DENORMALS = 0;
#endif
struct FlushDenormals {
  const unsigned saved = floatMode();
  FlushDenormals() { setFloatMode(saved | FLUSH_DENORMALS); }
  ~FlushDenormals() { setFloatMode(saved); }
};

// The threads one JS thread's kernels split their work over (setThreads). A job comes in parts that the
// caller and the pool's threads take from a counter: the caller takes parts as well, so a pool thread
// that starts late (its core taken for a while by another thread of the process, V8's collector or
// compiler) leaves its parts to the caller instead of holding the kernel up. Measured on two cores, the
// conv VAE's step waited ~14 ms of ~155 for late threads when each thread had a fixed part (README,
// "Parts taken, not handed out"). Workers spin for a few milliseconds after a job (a training step calls
// the kernels back to back), then sleep. Each JS thread has its own pool, so data-parallel workers never
// share one.
// A job's state in one word, so that a thread reads it whole: its generation (32 bits), whether each part
// has a thread of its own (1), its number of parts (15) and the next part to take (16). A part is claimed by
// a compare-and-swap on the whole word, so a thread that read the word of a job since ended (and was
// switched out) can never take a part of the next one, whose word differs. The pool's jobs and the lending
// desk's offers (below) both keep their state so.
namespace jobword {
constexpr int MAX_PARTS = 0x7fff;
inline uint64_t word(uint32_t generation, bool onePerThread, int parts, int next) {
  return (uint64_t)generation << 32 | (uint64_t)onePerThread << 31 | (uint64_t)parts << 16 | (uint64_t)next;
}
inline uint32_t generationOf(uint64_t w) { return (uint32_t)(w >> 32); }
inline bool onePerThreadOf(uint64_t w) { return (w >> 31) & 1; }
inline int partsOf(uint64_t w) { return (int)(w >> 16 & MAX_PARTS); }
inline int nextOf(uint64_t w) { return (int)(w & 0xffff); }
}  // namespace jobword

class Pool {
  static constexpr int SPIN_MS = 5;

 public:
  ~Pool() { resize(1); }
  int size() const { return (int)workers_.size() + 1; }
  void resize(int n) {
    if (n < 1) n = 1;
    if (n == size()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_.store(true, std::memory_order_relaxed);
      state_.store(jobword::word(jobword::generationOf(state_.load()) + 1, false, 0, 0), std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_.store(false, std::memory_order_relaxed);
    // The generation a worker waits past is read here, not by the worker: one that starts late must
    // still see a job or stop posted before it ran (else resize could wait forever in join).
    const uint32_t start = jobword::generationOf(state_.load());
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i, start] { loop(i, start); });
  }
  // job(0 .. parts − 1; size() parts by default) over the caller and the pool's threads, whoever takes
  // each part first; returns when every part is done. Parts must not wait for each other: any thread
  // may run several.
  void run(const std::function<void(int)>& job) { post(size(), job, false); }
  void run(int parts, const std::function<void(int)>& job) { post(parts, job, false); }
  // job(0 .. size() − 1) with part 0 on the caller and part i on the pool's thread i, all at once: for
  // parts that meet (coreRoundTrip times a line passed between the caller and a given thread).
  void runOnePerThread(const std::function<void(int)>& job) { post(size(), job, true); }

  // Tests: the parts the caller and the pool's threads have taken, and the pool's threads made to start
  // jobs late until a time (as threads whose cores other threads hold).
  std::atomic<long> partsByCaller_{0}, partsByWorkers_{0};
  std::atomic<std::chrono::steady_clock::rep> stallUntil_{0};

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

 private:
  void post(int parts, const std::function<void(int)>& job, bool onePerThread) {
    if (workers_.empty() || parts <= 1) {
      for (int p = 0; p < parts; ++p) job(p);
      return;
    }
    if (parts > jobword::MAX_PARTS) abort();  // callers cut at most a few parts a thread
    job_.store(&job, std::memory_order_relaxed);
    mode_.store(floatMode(), std::memory_order_relaxed);
    finished_.store(0, std::memory_order_relaxed);
    const uint32_t generation = jobword::generationOf(state_.load(std::memory_order_relaxed)) + 1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // publishes the fields above; where each part has a thread of its own, none is left to take
      state_.store(jobword::word(generation, onePerThread, parts, onePerThread ? parts : 0), std::memory_order_release);
    }
    cv_.notify_all();
    if (onePerThread) {
      runPart(0, false);
    } else {
      while (take(generation, false) != 0) {}
    }
    while (finished_.load(std::memory_order_acquire) < parts) pause();
  }

  void runPart(int part, bool worker) {
    if (worker) setFloatMode(mode_.load(std::memory_order_relaxed));
    (worker ? partsByWorkers_ : partsByCaller_).fetch_add(1, std::memory_order_relaxed);
    (*job_.load(std::memory_order_relaxed))(part);
    finished_.fetch_add(1, std::memory_order_release);
  }

  // Runs the next part of job `generation` if one is left: 1 if it ran one, 0 if none is left, −1 if
  // another thread took the part first (look again). While a thread runs a part, the job's fields stay
  // as posted: post waits for every part.
  int take(uint32_t generation, bool worker) {
    uint64_t s = state_.load(std::memory_order_acquire);
    if (jobword::generationOf(s) != generation || jobword::nextOf(s) >= jobword::partsOf(s)) return 0;
    if (!state_.compare_exchange_strong(s, s + 1, std::memory_order_acq_rel)) return -1;
    runPart(jobword::nextOf(s), worker);
    return 1;
  }

  void loop(int me, uint32_t seen) {
    for (;;) {
      uint64_t s;
      auto idleSince = std::chrono::steady_clock::now();
      for (int spin = 0; jobword::generationOf(s = state_.load(std::memory_order_acquire)) == seen; ++spin) {
        // A training step calls kernels between short stretches of JavaScript: a worker that slept
        // through them would be woken (~50 µs) for every product. Spin for SPIN_MS, then sleep.
        if ((spin & 255) != 0 || std::chrono::steady_clock::now() - idleSince < std::chrono::milliseconds(SPIN_MS)) { pause(); continue; }
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return jobword::generationOf(state_.load()) != seen; });
      }
      seen = jobword::generationOf(s);
      if (stop_.load(std::memory_order_relaxed)) return;
      const auto stalled = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(stallUntil_.load()));
      if (std::chrono::steady_clock::now() < stalled) std::this_thread::sleep_until(stalled);  // tests: threads that start late
      if (jobword::onePerThreadOf(s)) {
        // part `me` is this thread's alone, so its job cannot end (and another start) before it runs
        if (me < jobword::partsOf(s)) runPart(me, true);
      } else {
        while (take(seen, true) != 0) {}
      }
    }
  }
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> state_{0};  // jobword::word(): the latest job's (or stop's)
  std::atomic<const std::function<void(int)>*> job_{nullptr};
  std::atomic<int> finished_{0};
  std::atomic<unsigned> mode_{0};  // the caller's floating-point mode, taken by the workers with each part
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
};
Pool& pool() {
  thread_local Pool p;
  return p;
}

// The mean time in ns of n round trips of one cache line between the calling thread and its pool's
// worker `worker` (0 without one): here ~60-75 ns between two cores that share an L3, 200-340 between
// dies (369-574 on an AMD host), 37-45 between the two threads of one core. Both sides wait with pause, so
// each figure holds two pauses. It stops once `limit` has passed since the call (two threads time-sliced on
// one core take milliseconds a trip) and gives the mean of the trips made, counting the wait for the one it
// gave up on, or, where the worker answered none, the time waited (a trip takes at least that).
static double roundTripNs(int worker, int n, std::chrono::microseconds limit = std::chrono::milliseconds(50)) {
  if (worker < 1 || worker >= pool().size()) return 0;
  struct alignas(64) Ball {
    std::atomic<int> at{0};  // 2i + 1: the caller's i-th throw; 2i + 2: the worker's return; -1: stop
    char pad[64 - sizeof(std::atomic<int>)];
  } ball;
  double ns = 0;
  pool().runOnePerThread([&](int t) {
    if (t == worker) {
      for (int i = 0; i <= n; ++i) {
        int b;
        while ((b = ball.at.load(std::memory_order_acquire)) != 2 * i + 1)
          if (b < 0) return;
          else Pool::pause();
        // only if the caller has not stopped meanwhile: a return stored over its stop would leave this
        // thread waiting for a throw that never comes, and the caller waiting for this thread
        if (!ball.at.compare_exchange_strong(b, 2 * i + 2, std::memory_order_acq_rel, std::memory_order_acquire)) return;
      }
    } else if (t == 0) {
      const auto called = std::chrono::steady_clock::now();
      std::chrono::steady_clock::time_point start;
      int done = 0;
      bool late = false;
      for (int i = 0; i <= n && !late; ++i) {
        if (i == 1) start = std::chrono::steady_clock::now();  // the first trip waits for the worker to start
        ball.at.store(2 * i + 1, std::memory_order_release);
        // the clock read only every 64 pauses, so that a quick trip does not pay for it
        for (unsigned spins = 1; ball.at.load(std::memory_order_acquire) != 2 * i + 2; ++spins) {
          Pool::pause();
          if ((spins & 63) == 0 && std::chrono::steady_clock::now() - called > limit) { late = true; break; }
        }
        if (!late) done = i;
      }
      const auto end = std::chrono::steady_clock::now();
      ns = done > 0 ? std::chrono::duration<double, std::nano>(end - start).count() / done : std::chrono::duration<double, std::nano>(end - called).count();
      ball.at.store(-1, std::memory_order_release);
    }
  });
  return ns;
}

// Where the calling thread's kernel threads sit (README, "Two cores on two dies"). A host may put two vCPUs
// on two dies, and a desktop CPU's cores come in dies (chiplets) of 8 or so: then every line one core
// writes and the other reads next costs ~4x what it does within a die. The fused MLP step acts on it
// (mlp-vae.inc): where the cores are far, the kernels leave every cache before Adam writes them. Measured
// at the first fused step, when the pool changes size, after a pause of 10 ms or more between one step's
// end and the next one's start (the workers slept, and the host moves a vCPU that idled) and every 64
// steps (it sometimes moves one that did not): the worst, over the workers, of the quickest of three bursts
// of 64 round trips (~15 us a worker near, ~60 far; the quickest, so that a thread switched out during a
// burst does not make near cores look far), far at 150 ns or more. A burst stops after MEASURE_LIMIT: a
// worker that has not answered 64 trips by then is not running beside us (a busy host, or more threads than
// cores), and the cores count as far, as they would after the whole burst. With bursts of up to 50 ms, as
// before, one measure on a busy host could take 150 ms, every 64 steps and after every pause.
constexpr double FAR_NS = 150;
constexpr auto MEASURE_LIMIT = std::chrono::milliseconds(1);
constexpr long REMEASURE_STEPS = 64;
constexpr auto REMEASURE_AFTER_PAUSE = std::chrono::milliseconds(10);
struct Placement {
  int mode = 0;          // 0: measure; 1: near; 2: far
  int measuredSize = 0;  // the pool's size when last measured (0: measure at the next step)
  long steps = 0;        // fused steps since
  std::chrono::steady_clock::time_point lastStepEnd;  // stepEnded()
  bool far = false;
  double worstNs = 0;
  long measurements = 0;
  double lastMeasureUs = 0;  // how long the last measure took
};
thread_local Placement placement;
std::atomic<long> evictedSteps{0};
std::atomic<long> evictedRowShares{0};  // shares of rows a thread evicted after phase 2 (mlp-vae.inc)

// Whether the calling thread's cores are far apart, measuring again when due.
static bool coresFar() {
  Placement& p = placement;
  const int size = pool().size();
  // One thread (or a fixed mode) measures nothing, and the next step measured on several threads measures at
  // once: bench threads alternates one thread and two on the same thread, and the rounds of two took their
  // cores as near until the next 64th step (evicting in 40-97 of 100 steps across dies), since the size
  // seemed unchanged.
  if (p.mode != 0 || size < 2) {
    p.measuredSize = 0;
    return p.far = size > 1 && p.mode == 2;
  }
  const bool paused = std::chrono::steady_clock::now() - p.lastStepEnd >= REMEASURE_AFTER_PAUSE;
  if (p.measuredSize != size || ++p.steps >= REMEASURE_STEPS || paused) {
    const auto start = std::chrono::steady_clock::now();
    double worst = 0;
    for (int w = 1; w < size; ++w) worst = std::max(worst, std::min({roundTripNs(w, 64, MEASURE_LIMIT), roundTripNs(w, 64, MEASURE_LIMIT), roundTripNs(w, 64, MEASURE_LIMIT)}));
    p.measuredSize = size, p.steps = 0, p.worstNs = worst, p.far = worst >= FAR_NS, ++p.measurements;
    p.lastMeasureUs = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  }
  return p.far;
}

// A fused step's end on the calling thread: the pause before the next one counts from here.
static void stepEnded() { placement.lastStepEnd = std::chrono::steady_clock::now(); }

// Whether this CPU can drop a line from every cache without waiting for it (CLFLUSHOPT).
static bool canEvict() {
#if defined(__x86_64__) || defined(_M_X64)
  unsigned a, b, c, d;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 23));  // CLFLUSHOPT
#else
  return false;
#endif
}
static const bool evictionWorks = canEvict();
// Drops the lines of [p, p + n) from every core's caches (written back where changed): thread t of
// `threads` takes its share of the lines. Values never change; only where the lines are next read from.
static void evictLines(const float* p, long n, int t, int threads) {
#if defined(__x86_64__) || defined(_M_X64)
  const char* first = (const char*)((uintptr_t)p & ~(uintptr_t)63);
  const long lines = ((const char*)(p + n) - first + 63) / 64;
  for (long l = lines * t / threads; l < lines * (t + 1) / threads; ++l) asm volatile("clflushopt %0" : "+m"(*(volatile char*)(first + l * 64)));
#else
  (void)p, (void)n, (void)t, (void)threads;
#endif
}

// Cores lent between data-parallel threads (help()). Each thread computes its own shard of a step, and
// the step waits for the slowest: a thread whose shard is done calls help() and runs parts of the kernels
// the other threads are still in, until every shard is done. A kernel on a data-parallel thread (setLending)
// offers its work in LENT_PARTS parts (Split, below); the parts are cut from the problem alone and each
// writes its own rows, columns or partial product, added in part order: so the bits are the same whoever
// runs which part.
constexpr int LENT_PARTS = 4;
constexpr int FINE_PARTS_PER_THREAD = 4;
class Desk;
Desk& desk();
class Desk {
  struct Offer {
    // jobword's word, which a helper reads whole: a part is taken by a compare-and-swap on it, which fails
    // once the owner has posted another job, so a late helper (one that read the word of a job since ended)
    // never runs a part of the next
    std::atomic<uint64_t> state{0};
    std::atomic<const std::function<void(int)>*> job{nullptr};
    std::atomic<unsigned> mode{0};
    std::atomic<int> finished{0};
    std::atomic<bool> seated{false};  // a thread owns this offer (Seat)
  };
  static constexpr int OFFERS = 64;
  Offer offers_[OFFERS];
  std::atomic<int> used_{0};  // offers ever seated: helpers scan [0, used_)
  std::atomic<int> helpers_{0};

  // A thread's offer, from its first lent kernel to its exit: workers come and go with every training
  // run, so a thread gives its offer back when it ends (its state keeps counting generations, and every
  // part of its last job was taken, so a helper cannot run a stale one).
  struct Seat {
    int index = -1;
    ~Seat() {
      if (index >= 0) desk().offers_[index].seated.store(false, std::memory_order_release);
    }
  };
  int seat() {
    thread_local Seat mine;
    if (mine.index >= 0) return mine.index;
    for (int i = 0; i < OFFERS; ++i) {
      bool free = false;
      if (!offers_[i].seated.compare_exchange_strong(free, true)) continue;
      for (int u = used_.load(); u < i + 1 && !used_.compare_exchange_weak(u, i + 1);) {}
      return mine.index = i;
    }
    return -1;  // more threads lending at once than offers: this one runs its parts alone
  }

  // Runs one part of offer o if there is one left: 1 if it ran one, 0 if none is left, −1 if another
  // thread took the part first (look again: the owner once stopped there and left its remaining parts to
  // the helpers, waiting on them).
  int take(Offer& o) {
    uint64_t s = o.state.load(std::memory_order_acquire);
    const int next = jobword::nextOf(s), parts = jobword::partsOf(s);
    if (next >= parts) return 0;
    if (!o.state.compare_exchange_strong(s, s + 1, std::memory_order_acq_rel)) return -1;
    // the job stays as posted while one of its parts runs (offer waits for every part)
    const auto* job = o.job.load(std::memory_order_relaxed);
    const unsigned saved = floatMode();
    setFloatMode(o.mode.load(std::memory_order_relaxed));
    (*job)(next);
    setFloatMode(saved);
    o.finished.fetch_add(1, std::memory_order_release);
    return 1;
  }

 public:
  bool helped() const { return helpers_.load(std::memory_order_relaxed) > 0; }
  int seated() const {
    int n = 0;
    for (const Offer& o : offers_) n += o.seated.load() ? 1 : 0;
    return n;
  }

  // job(0 .. parts − 1), on this thread and any helper's; returns when every part is done.
  void offer(int parts, const std::function<void(int)>& job) {
    const int mine = seat();
    if (mine < 0) { for (int p = 0; p < parts; ++p) job(p); return; }
    Offer& o = offers_[mine];
    if (parts > jobword::MAX_PARTS) abort();  // kernels offer a few parts
    o.finished.store(0, std::memory_order_relaxed);
    o.job.store(&job, std::memory_order_relaxed);
    o.mode.store(floatMode(), std::memory_order_relaxed);
    const uint32_t generation = jobword::generationOf(o.state.load(std::memory_order_relaxed)) + 1;
    o.state.store(jobword::word(generation, false, parts, 0), std::memory_order_release);  // publishes the fields above
    while (take(o) != 0) {}
    while (o.finished.load(std::memory_order_acquire) < parts) Pool::pause();
  }

  // Runs parts of other threads' kernels until *counter >= target, or until `idleMs` pass without a part
  // to run (a thread stuck elsewhere, or a worker that died: the caller then waits as it would have).
  // Returns the parts run.
  long help(const int32_t* counter, int32_t target, int idleMs) {
    helpers_.fetch_add(1);
    long ran = 0;
    auto idleSince = std::chrono::steady_clock::now();
    for (int spin = 0; __atomic_load_n(counter, __ATOMIC_ACQUIRE) < target; ++spin) {
      bool any = false;
      const int n = std::min(used_.load(std::memory_order_acquire), OFFERS);
      for (int i = 0; i < n; ++i)
        for (int r; (r = take(offers_[i])) != 0;)
          if (r > 0) any = true, ++ran;
      if (any) { idleSince = std::chrono::steady_clock::now(); continue; }
      Pool::pause();
      if ((spin & 255) == 0 && std::chrono::steady_clock::now() - idleSince > std::chrono::milliseconds(idleMs)) break;
    }
    helpers_.fetch_sub(1);
    return ran;
  }
};
Desk& desk() {
  static Desk d;
  return d;
}

// Whether this thread computes data-parallel shards (setLending): its kernels then offer their parts.
thread_local bool lending = false;

// How a kernel on this thread splits its work: over its pool, or (a data-parallel thread, pool of one)
// into LENT_PARTS parts offered on the desk; else 1, the caller alone. A split by rows or columns gives
// the bits of the whole, so a lending kernel takes it only while some thread helps (helpedNow); a depth
// split changes the order of the sums, so a lending kernel always takes it, helped or not.
struct Split {
  int parts;
  bool lent;
  bool helpedNow() const { return !lent || desk().helped(); }
  // Parts for work whose bits do not depend on how it is cut (rows, elements): a pool's threads take
  // several each, so that one which starts late leaves some of its share to the others.
  int fineParts() const { return lent ? parts : parts * FINE_PARTS_PER_THREAD; }
};
Split split() {
  const int n = pool().size();
  if (n > 1) return {n, false};
  if (lending) return {LENT_PARTS, true};
  return {1, false};
}
void runSplit(const Split& s, int parts, const std::function<void(int)>& job) {
  if (s.lent) desk().offer(parts, job);
  else pool().run(parts, job);
}
void runSplit(const Split& s, const std::function<void(int)>& job) { runSplit(s, s.parts, job); }

// f(lo, hi) over [0, n) in contiguous ranges that the pool's threads take.
template <class F>
void parallelFor(long n, F f) {
  const Split s = split();
  if (s.parts <= 1 || n < 65536 || !s.helpedNow()) return f(0, n);
  const int parts = s.fineParts();
  const long per = ((n + parts - 1) / parts + 63) / 64 * 64;
  runSplit(s, (int)((n + per - 1) / per), [&](int p) {
    const long lo = p * per < n ? p * per : n, hi = (p + 1) * per < n ? (p + 1) * per : n;
    if (lo < hi) f(lo, hi);
  });
}

// f(r0, r1) over [0, rows), split across the pool (or lent cores) when there is enough work.
template <class F>
static void parallelRows(long rows, long inner, F f) {
  const Split s = split();
  if (s.parts <= 1 || rows < s.parts || rows * inner < 65536 || !s.helpedNow()) return f(0, rows);
  const long parts = std::min<long>(rows, s.fineParts());
  const long per = (rows + parts - 1) / parts;
  runSplit(s, (int)((rows + per - 1) / per), [&](int p) {
    const long lo = p * per < rows ? p * per : rows, hi = (p + 1) * per < rows ? (p + 1) * per : rows;
    if (lo < hi) f(lo, hi);
  });
}

struct ConvShape { int n, h, w, ci, oh, ow, co, kh, kw, sh, sw, dh, dw, top, left; };

// The MLP VAE of a fused training step (mlp-vae.inc).
struct Dense {
  int in, out;
  float *w, *b, *mw, *vw, *mb, *vb;  // kernel [in, out] and bias [out], and their Adam moments
  bool relu;
};
struct MlpVae {
  int batch, pixels, latent;
  std::vector<Dense> enc;  // hidden layers, input side first
  Dense mean, logVar;      // the two heads on the last hidden layer (or on x)
  std::vector<Dense> dec;  // hidden layers, then the logits layer (no relu)
  float beta;
  const float* x;    // [batch, pixels] in [0, 1]
  const float* eps;  // [batch, latent] standard normal noise, drawn by TF.js from the step's seed
};
// Adam's settings for a step (tf.train.adam's, with c1 = 1 − β1^t and c2 = 1 − β2^t)
struct AdamStep { float lr, b1, b2, a1, a2, eps, c1, c2; };

#if defined(__x86_64__) || defined(_M_X64)
namespace avx512 {
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx2,fma")
constexpr int W = 16;
#include "gemm-core.inc"
#include "ops.inc"
#include "elementwise.inc"
#include "mlp-vae.inc"
#pragma GCC pop_options
}  // namespace avx512
namespace avx2 {
#pragma GCC push_options
#pragma GCC target("avx2,fma")
constexpr int W = 8;
#include "gemm-core.inc"
#include "ops.inc"
#include "elementwise.inc"
#include "mlp-vae.inc"
#pragma GCC pop_options
}  // namespace avx2
#endif
namespace base {
constexpr int W = 4;  // SSE2 on x86-64, NEON on arm64
#include "gemm-core.inc"
#include "ops.inc"
#include "elementwise.inc"
#include "mlp-vae.inc"
}  // namespace base

enum Isa { BASE = 0, AVX2 = 1, AVX512 = 2 };
Isa detect() {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return AVX2;
#endif
  return BASE;
}
Isa isa = detect();

// Calls one of the ops above in the namespace compiled for this CPU's instruction set (ON_ISA_KEEPING_DENORMALS),
// denormals flushed (ON_ISA).
#if defined(__x86_64__) || defined(_M_X64)
#define ON_ISA_KEEPING_DENORMALS(call)  \
  do {                                  \
    switch (isa) {                      \
      case AVX512: avx512::call; break; \
      case AVX2: avx2::call; break;     \
      default: base::call;              \
    }                                   \
  } while (0)
#else
#define ON_ISA_KEEPING_DENORMALS(call) base::call
#endif
#define ON_ISA(call)                   \
  do {                                 \
    FlushDenormals flush;              \
    ON_ISA_KEEPING_DENORMALS(call);    \
  } while (0)

// Arguments: the heap (ArrayBuffer), then integers; byte offsets into the heap, -1 for "none".
bool args(napi_env env, napi_callback_info info, size_t want, char** heap, size_t* heapBytes, int64_t* v) {
  napi_value argv[32];
  size_t argc = want + 1;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != want + 1) return false;
  void* data = nullptr;
  if (napi_get_arraybuffer_info(env, argv[0], &data, heapBytes) != napi_ok) return false;
  *heap = (char*)data;
  for (size_t i = 0; i < want; ++i)
    if (napi_get_value_int64(env, argv[i + 1], &v[i]) != napi_ok) return false;
  return true;
}
// Arguments: the heap (ArrayBuffer), then numbers read as doubles (offsets and float settings alike).
bool doubleArgs(napi_env env, napi_callback_info info, size_t want, char** heap, double* v) {
  napi_value argv[32];
  size_t argc = want + 1;
  void* data = nullptr;
  size_t bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != want + 1 || napi_get_arraybuffer_info(env, argv[0], &data, &bytes) != napi_ok)
    return false;
  *heap = (char*)data;
  for (size_t i = 0; i < want; ++i)
    if (napi_get_value_double(env, argv[i + 1], &v[i]) != napi_ok) return false;
  return true;
}
napi_value fail(napi_env env, const char* what) {
  napi_throw_type_error(env, nullptr, what);
  return nullptr;
}
const float* at(char* heap, int64_t offset) { return offset < 0 ? nullptr : (const float*)(heap + offset); }
// The data of `value` if it is a typed array of type `want` (its length in *length), else null.
template <class T>
T* typedArray(napi_env env, napi_value value, napi_typedarray_type want, size_t* length) {
  napi_typedarray_type type;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, value, &type, length, &data, nullptr, nullptr) != napi_ok || type != want) return nullptr;
  return (T*)data;
}

// matmul(heap, a, b, c, batch, M, N, K, transA, transB, aBatchStride, bBatchStride, bias, relu)
napi_value MatMul(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[13];
  if (!args(env, info, 13, &heap, &bytes, v)) return fail(env, "matmul: bad arguments");
  const float *A = at(heap, v[0]), *B = at(heap, v[1]), *bias = at(heap, v[11]);
  float* C = (float*)(heap + v[2]);
  const int batch = v[3], M = v[4], N = v[5], K = v[6];
  const bool ta = v[7], tb = v[8], relu = v[12];
  ON_ISA(matmul(A, B, C, batch, M, N, K, ta, tb, v[9], v[10], bias, relu, scratch));
  return nullptr;
}

bool convShape(const int64_t* v, ConvShape& g) {
  int s[15];
  for (int i = 0; i < 15; ++i) s[i] = (int)v[i];
  g = ConvShape{s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13], s[14]};
  return g.ci > 0 && g.kh > 0 && g.kw > 0 && g.sh > 0 && g.sw > 0 && g.dh > 0 && g.dw > 0;
}

// conv2d(heap, x, filter, out, bias, relu, n, h, w, ci, oh, ow, co, kh, kw, sh, sw, dh, dw, top, left)
napi_value Conv2D(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[20]; ConvShape g;
  if (!args(env, info, 20, &heap, &bytes, v) || !convShape(v + 5, g)) return fail(env, "conv2d: bad arguments");
  const float *x = at(heap, v[0]), *f = at(heap, v[1]), *bias = at(heap, v[3]);
  float* out = (float*)(heap + v[2]);
  ON_ISA(conv2d(x, f, out, g, bias, v[4], scratch));
  return nullptr;
}

// conv2dFilterGrad(heap, x, dy, dw, n, h, w, ci, oh, ow, co, kh, kw, sh, sw, dh, dw, top, left)
napi_value Conv2DFilterGrad(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[18]; ConvShape g;
  if (!args(env, info, 18, &heap, &bytes, v) || !convShape(v + 3, g)) return fail(env, "conv2dFilterGrad: bad arguments");
  const float *x = at(heap, v[0]), *dy = at(heap, v[1]);
  float* dw = (float*)(heap + v[2]);
  ON_ISA(conv2dFilterGrad(x, dy, dw, g, scratch));
  return nullptr;
}

// conv2dInputGrad(heap, dy, filter, dx, n, h, w, ci, oh, ow, co, kh, kw, sh, sw, dh, dw, top, left): dx's shape is (n, h, w, ci)
napi_value Conv2DInputGrad(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[18]; ConvShape g;
  if (!args(env, info, 18, &heap, &bytes, v) || !convShape(v + 3, g)) return fail(env, "conv2dInputGrad: bad arguments");
  const float *dy = at(heap, v[0]), *f = at(heap, v[1]);
  float* dx = (float*)(heap + v[2]);
  ON_ISA(conv2dInputGrad(dy, f, dx, g));
  return nullptr;
}

// binary(heap, op, modeA, modeB, a, b, y, n, inner): y = a op b over n values viewed as [n / inner, inner] (elementwise.inc)
napi_value Binary(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[8];
  if (!args(env, info, 8, &heap, &bytes, v) || v[7] <= 0 || v[6] % v[7] != 0) return fail(env, "binary: bad arguments");
  bool done = false;
  ON_ISA(binary((int)v[0], (int)v[1], (int)v[2], at(heap, v[3]), at(heap, v[4]), (float*)(heap + v[5]), v[6], v[7], &done));
  return done ? nullptr : fail(env, "binary: unknown operation or operand modes");
}

// unary(heap, op, x, y, n, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  char* heap; double v[5];
  if (!doubleArgs(env, info, 5, &heap, v)) return fail(env, "unary: bad arguments");
  bool done = false;
  ON_ISA(unary((int)v[0], (const float*)(heap + (long)v[1]), (float*)(heap + (long)v[2]), (long)v[3], (float)v[4], &done));
  return done ? nullptr : fail(env, "unary: unknown operation");
}

// sumInner(heap, x, out, rows, cols): out[r] = Σ_j x[r, j]
napi_value SumInner(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[4];
  if (!args(env, info, 4, &heap, &bytes, v)) return fail(env, "sumInner: bad arguments");
  ON_ISA(sumInner(at(heap, v[0]), (float*)(heap + v[1]), v[2], v[3]));
  return nullptr;
}

// sigmoidSquaredError(heap, x, logits, out, rows, cols): out[r] = Σ_j (x − sigmoid(logits))² over row r (elementwise.inc)
napi_value SigmoidSquaredError(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[5];
  if (!args(env, info, 5, &heap, &bytes, v)) return fail(env, "sigmoidSquaredError: bad arguments");
  ON_ISA(sigmoidSquaredError(at(heap, v[0]), at(heap, v[1]), (float*)(heap + v[2]), v[3], v[4]));
  return nullptr;
}

// sigmoidSquaredErrorGrad(heap, dy, x, logits, out, rows, cols): its gradient for the logits, dy[r] · −2 (x − s) s (1 − s)
napi_value SigmoidSquaredErrorGrad(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[6];
  if (!args(env, info, 6, &heap, &bytes, v)) return fail(env, "sigmoidSquaredErrorGrad: bad arguments");
  ON_ISA(sigmoidSquaredErrorGrad(at(heap, v[0]), at(heap, v[1]), at(heap, v[2]), (float*)(heap + v[3]), v[4], v[5]));
  return nullptr;
}

// adam(heap, w, g, m, v, n, lr, beta1, beta2, 1 − beta1, 1 − beta2, epsilon, c1, c2): the variable and its moments in place
napi_value Adam(napi_env env, napi_callback_info info) {
  char* heap; double v[13];
  if (!doubleArgs(env, info, 13, &heap, v)) return fail(env, "adam: bad arguments");
  float *w = (float*)(heap + (long)v[0]), *m = (float*)(heap + (long)v[2]), *mv = (float*)(heap + (long)v[3]);
  const float* g = (const float*)(heap + (long)v[1]);
  const long n = (long)v[4];
  ON_ISA(adam(w, g, m, mv, n, v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]));
  return nullptr;
}

// sumRows(heap, x, out, rows, cols)
napi_value SumRows(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[4];
  if (!args(env, info, 4, &heap, &bytes, v)) return fail(env, "sumRows: bad arguments");
  const float* x = at(heap, v[0]);
  float* out = (float*)(heap + v[1]);
  ON_ISA(sumRows(x, out, v[2], v[3]));
  return nullptr;
}

// softplus(heap, x, y, n)
napi_value Softplus(napi_env env, napi_callback_info info) {
  char* heap; size_t bytes; int64_t v[3];
  if (!args(env, info, 3, &heap, &bytes, v)) return fail(env, "softplus: bad arguments");
  const float* x = at(heap, v[0]);
  float* y = (float*)(heap + v[1]);
  ON_ISA(softplus(x, y, v[2]));
  return nullptr;
}

// adamShared(w, m, v, slots[], scales[], lr, beta1, beta2, epsilon, c1, c2): the data-parallel trainer's
// Adam step over flat Float32Arrays (SharedArrayBuffers), the same double-precision operations in the same
// order as models/parallel/adam.ts's loop, so the bits match it: g = Σ_s scales[s]·slots[s][i].
napi_value AdamShared(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t argc = 11;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 11) return fail(env, "adamShared: bad arguments");
  auto floats = [&](napi_value value, size_t* length) { return typedArray<float>(env, value, napi_float32_array, length); };
  size_t n = 0, nm = 0, nv = 0, slotCount = 0;
  float *w = floats(argv[0], &n), *m = floats(argv[1], &nm), *v = floats(argv[2], &nv);
  if (!w || !m || !v || nm != n || nv != n) return fail(env, "adamShared: w, m and v must be Float32Arrays of one length");
  uint32_t k = 0;
  if (napi_get_array_length(env, argv[3], &k) != napi_ok || napi_get_array_length(env, argv[4], &k) != napi_ok || k > 64) return fail(env, "adamShared: slots and scales");
  std::vector<const float*> slots(k);
  std::vector<double> scales(k);
  for (uint32_t s = 0; s < k; ++s) {
    napi_value item;
    napi_get_element(env, argv[3], s, &item);
    slots[s] = floats(item, &slotCount);
    napi_get_element(env, argv[4], s, &item);
    if (!slots[s] || slotCount != n || napi_get_value_double(env, item, &scales[s]) != napi_ok) return fail(env, "adamShared: a slot or scale");
  }
  double h[6];
  for (int i = 0; i < 6; ++i)
    if (napi_get_value_double(env, argv[5 + i], &h[i]) != napi_ok) return fail(env, "adamShared: bad arguments");
  // ops.inc's loop for this CPU, denormals kept: JavaScript's loop keeps them, and the bits must match
  parallelFor((long)n, [&](long lo, long hi) { ON_ISA_KEEPING_DENORMALS(adamSharedRange(w, m, v, slots.data(), scales.data(), k, lo, hi, h)); });
  return nullptr;
}

// pixelsToFloats(pixels, indices, per, mode, threshold, state, out): the images `indices` (Int32Array) of
// pixels (Uint8Array, `per` values an image) into out (Float32Array) as models/pixels.ts converts them:
// mode 0 v/255, 1 1 where v > threshold, 2 dynamic binarization, 1 with probability v/255 from mulberry32
// (models/random.ts) at `state`, one draw per pixel that is neither 0 nor 255. Returns the draws taken,
// by which the caller advances its generator. The same floats as the JavaScript loops, bit for bit (a
// training batch took 0.52 ms there, on the thread the step then waits for).
napi_value PixelsToFloats(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  size_t argc = 7;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 7) return fail(env, "pixelsToFloats: bad arguments");
  size_t nPixels = 0, count = 0, nOut = 0;
  const uint8_t* pixels = typedArray<uint8_t>(env, argv[0], napi_uint8_array, &nPixels);
  const int32_t* indices = typedArray<int32_t>(env, argv[1], napi_int32_array, &count);
  float* out = typedArray<float>(env, argv[6], napi_float32_array, &nOut);
  double per = 0, mode = 0, threshold = 0, state = 0;
  if (!pixels || !indices || !out || napi_get_value_double(env, argv[2], &per) != napi_ok || napi_get_value_double(env, argv[3], &mode) != napi_ok ||
      napi_get_value_double(env, argv[4], &threshold) != napi_ok || napi_get_value_double(env, argv[5], &state) != napi_ok)
    return fail(env, "pixelsToFloats: bad arguments");
  const long n = (long)per;
  if (!(per >= 1) || (double)n != per || (mode != 0 && mode != 1 && mode != 2) || nOut < count * (size_t)n) return fail(env, "pixelsToFloats: bad shape");
  const long images = (long)(nPixels / (size_t)n);
  for (size_t k = 0; k < count; ++k)
    if (indices[k] < 0 || indices[k] >= images) return fail(env, "pixelsToFloats: an index lies outside the images");
  // v / 255 rounded to float, as JavaScript's division stores it in a Float32Array
  float by255[256];
  for (int v = 0; v < 256; ++v) by255[v] = (float)(v / 255.0);
  // dynamic: random() · 255 < v is exact in doubles (u / 2^32 · 255 < 2^40), so it is u < below[v], the
  // least u with u · 255 ≥ v · 2^32
  uint32_t below[256];
  for (uint64_t v = 0; v < 256; ++v) below[v] = v == 0 ? 0 : (uint32_t)std::min<uint64_t>(((v << 32) + 254) / 255, 0xFFFFFFFFu);
  // dynamic: each image's draws start where the images before it left mulberry32 (its state steps by a
  // constant per draw), so images convert in parallel once each one's draws are counted
  std::vector<uint32_t> start(count + 1, 0);
  if (mode == 2) {
    parallelRows((long)count, n, [&](long k0, long k1) {
      for (long k = k0; k < k1; ++k) {
        const uint8_t* src = pixels + (long)indices[k] * n;
        uint32_t m = 0;
        for (long p = 0; p < n; ++p) m += src[p] - 1u < 254u;
        start[k + 1] = m;
      }
    });
    for (size_t k = 0; k < count; ++k) start[k + 1] += start[k];
  }
  const uint32_t a0 = (uint32_t)state;
  auto image = [&](size_t k) {
    const uint8_t* src = pixels + (long)indices[k] * n;
    float* dst = out + (long)k * n;
    if (mode == 0)
      for (long p = 0; p < n; ++p) dst[p] = by255[src[p]];
    else if (mode == 1)
      for (long p = 0; p < n; ++p) dst[p] = src[p] > threshold ? 1.f : 0.f;
    else {
      // Two passes without branches (81 % of MNIST's pixels are 0, the rest mixed: a branch per pixel
      // mispredicted): 0 and 255 set and the pixels that draw listed; then their draws, the i-th from
      // the state i + 1 steps on, so none waits for the one before.
      thread_local std::vector<int32_t> drawn;
      if ((long)drawn.size() < n) drawn.resize(n);
      long m = 0;
      for (long p = 0; p < n; ++p) {
        const uint32_t v = src[p];
        dst[p] = v == 255 ? 1.f : 0.f;
        drawn[m] = (int32_t)p;
        m += v - 1 < 254u;
      }
      const uint32_t a = a0 + start[k] * 0x6D2B79F5u;
      for (long i = 0; i < m; ++i) {
        // mulberry32's next(): Math.imul is the low 32 bits of the product, >>> a logical shift
        uint32_t t = a + (uint32_t)(i + 1) * 0x6D2B79F5u;
        t = (t ^ (t >> 15)) * (t | 1u);
        t ^= t + (t ^ (t >> 7)) * (t | 61u);
        const int32_t p = drawn[i];
        dst[p] = (t ^ (t >> 14)) < below[src[p]] ? 1.f : 0.f;
      }
    }
  };
  parallelRows((long)count, n, [&](long k0, long k1) { for (long k = k0; k < k1; ++k) image((size_t)k); });
  const double draws = start[count];
  napi_value result;
  napi_create_double(env, draws, &result);
  return result;
}

// mlpVaeStep(heap, spec, out): one training step of the MLP VAE (mlp-vae.inc). spec (Float64Array):
// batch, pixels, latent, hidden layers, decoder layers, β, x, eps, then Adam's lr, β1, β2, 1 − β1, 1 − β2,
// ε, c1, c2, the parts to split the step in (0: one per thread), then per
// layer (the encoder's hidden ones, the mean head, the log-variance head, the decoder's): in, out, kernel,
// bias, kernel's m and v, bias's m and v (byte offsets into the heap), relu. out (Float64Array, 1 + latent):
// −log p(x|z) and each dimension's KL, per image. Returns how many shares of rows the step ran in. Every
// tensor's range is checked against the heap and every layer's shape against its neighbours' before
// anything runs.
// mlpVaeStepArrays(heap, spec, out, x, eps): the same, with the batch and its noise read from Float32Arrays of
// their own (spec's two offsets unused): the engine's batches are plain arrays, and copying one into a heap
// tensor took ~40 µs a step of ~1.7 on two threads, on the calling thread alone.
static napi_value mlpVaeStepWith(napi_env env, napi_callback_info info, bool arrays) {
  const char* name = arrays ? "mlpVaeStepArrays" : "mlpVaeStep";
  napi_value argv[5];
  const size_t want = arrays ? 5 : 3;
  size_t argc = 5;
  void* data = nullptr;
  size_t heapBytes = 0;
  auto failWith = [&](const char* why) { return fail(env, (std::string(name) + ": " + why).c_str()); };
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != want || napi_get_arraybuffer_info(env, argv[0], &data, &heapBytes) != napi_ok)
    return failWith("bad arguments");
  char* heap = (char*)data;
  auto doubles = [&](napi_value value, size_t* length) { return typedArray<double>(env, value, napi_float64_array, length); };
  size_t specLength = 0, outLength = 0;
  const double* v = doubles(argv[1], &specLength);
  double* out = doubles(argv[2], &outLength);
  constexpr size_t HEAD = 17, PER_LAYER = 9;
  if (!v || !out || specLength < HEAD) return failWith("spec and out must be Float64Arrays");
  const int batch = (int)v[0], pixels = (int)v[1], latent = (int)v[2], nEnc = (int)v[3], nDec = (int)v[4];
  if (batch < 1 || pixels < 1 || latent < 1 || nEnc < 0 || nDec < 1 || specLength != HEAD + PER_LAYER * (nEnc + 2 + nDec) || outLength != (size_t)(1 + latent))
    return failWith("bad shape");
  bool inside = true;
  auto floats = [&](double offset, double count) -> float* {
    if (!(offset >= 0 && offset + 4 * count <= (double)heapBytes && (long)offset % 4 == 0)) inside = false;
    return inside ? (float*)(heap + (long)offset) : nullptr;
  };
  MlpVae m;
  m.batch = batch;
  m.pixels = pixels;
  m.latent = latent;
  m.beta = (float)v[5];
  if (arrays) {
    size_t nx = 0, ne = 0;
    m.x = typedArray<float>(env, argv[3], napi_float32_array, &nx);
    m.eps = typedArray<float>(env, argv[4], napi_float32_array, &ne);
    if (!m.x || !m.eps || nx != (size_t)batch * pixels || ne != (size_t)batch * latent) return failWith("x and eps must be Float32Arrays of batch x pixels and batch x latent floats");
  } else {
    m.x = floats(v[6], (double)batch * pixels);
    m.eps = floats(v[7], (double)batch * latent);
  }
  size_t next = 0;
  auto layer = [&]() {
    const double* l = v + HEAD + PER_LAYER * next++;
    const int in = (int)l[0], outs = (int)l[1];
    if (in < 1 || outs < 1) inside = false;
    const double n = (double)in * outs;
    Dense d{in, outs, floats(l[2], n), floats(l[3], outs), floats(l[4], n), floats(l[5], n), floats(l[6], outs), floats(l[7], outs), l[8] != 0};
    return d;
  };
  for (int k = 0; k < nEnc; ++k) m.enc.push_back(layer());
  m.mean = layer();
  m.logVar = layer();
  for (int k = 0; k < nDec; ++k) m.dec.push_back(layer());
  if (!inside) return failWith("a tensor lies outside the heap");
  const int H = nEnc ? m.enc.back().out : pixels;
  bool chained = (nEnc == 0 || m.enc[0].in == pixels) && m.mean.in == H && m.logVar.in == H && m.mean.out == latent && m.logVar.out == latent &&
                 m.dec[0].in == latent && m.dec.back().out == pixels && !m.dec.back().relu;
  for (int k = 1; k < nEnc; ++k) chained = chained && m.enc[k].in == m.enc[k - 1].out;
  for (int k = 1; k < nDec; ++k) chained = chained && m.dec[k].in == m.dec[k - 1].out;
  if (!chained) return failWith("layer shapes do not chain");
  const AdamStep a{(float)v[8], (float)v[9], (float)v[10], (float)v[11], (float)v[12], (float)v[13], (float)v[14], (float)v[15]};
  if (!(v[16] >= 0 && v[16] <= 64)) return failWith("parts from 0 to 64");
  int shares = 0;
  ON_ISA(mlpVaeStep(m, a, out, (int)v[16], &shares));
  napi_value result;
  napi_create_int32(env, shares, &result);
  return result;
}
napi_value MlpVaeStep(napi_env env, napi_callback_info info) { return mlpVaeStepWith(env, info, false); }
napi_value MlpVaeStepArrays(napi_env env, napi_callback_info info) { return mlpVaeStepWith(env, info, true); }

// help(counter, index, target, idleMs): lends this thread to the kernels of the other data-parallel
// threads (Desk::help) until Atomics.load(counter, index) >= target; returns the parts it ran.
napi_value Help(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4, length = 0;
  int32_t index = 0, target = 0, idleMs = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 4) return fail(env, "help: counter, index, target, idleMs");
  const int32_t* counter = typedArray<int32_t>(env, argv[0], napi_int32_array, &length);
  if (!counter || napi_get_value_int32(env, argv[1], &index) != napi_ok || napi_get_value_int32(env, argv[2], &target) != napi_ok ||
      napi_get_value_int32(env, argv[3], &idleMs) != napi_ok || index < 0 || (size_t)index >= length)
    return fail(env, "help: counter must be an Int32Array and index inside it");
  napi_value out;
  napi_create_double(env, (double)desk().help(counter + index, target, idleMs), &out);
  return out;
}

// seatedOffers(): how many threads hold an offer on the desk now (tests: a thread that ends gives its back).
napi_value SeatedOffers(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_int32(env, desk().seated(), &out);
  return out;
}

// setLending(on): whether this thread computes data-parallel shards, whose kernels offer parts to helpers.
napi_value SetLending(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  bool on = false;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 1 || napi_get_value_bool(env, argv[0], &on) != napi_ok)
    return fail(env, "setLending: a boolean");
  lending = on;
  return nullptr;
}

// The one argument of a call that takes a whole number from lo to hi (a count, a mode), in *n; false if there is none such.
static bool oneCount(napi_env env, napi_callback_info info, int32_t lo, int32_t hi, int32_t* n) {
  napi_value argv[1];
  size_t argc = 1;
  return napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) == napi_ok && argc == 1 && napi_get_value_int32(env, argv[0], n) == napi_ok && *n >= lo &&
         *n <= hi;
}

// setThreads(n): how many threads this JS thread's kernels use (1: the caller alone); returns it.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  int32_t n = 1;
  if (!oneCount(env, info, 1, 64, &n)) return fail(env, "setThreads: a count from 1 to 64");
  pool().resize(n);
  napi_value out;
  napi_create_int32(env, pool().size(), &out);
  return out;
}

// coreRoundTrip(n): roundTripNs (above) with the pool's first worker. Where the second core sits decides
// what every line the two threads share costs (README, "Two cores on two dies"); bench threads prints it
// for each round.
napi_value CoreRoundTrip(napi_env env, napi_callback_info info) {
  int32_t n = 0;
  if (!oneCount(env, info, 1, 10000000, &n)) return fail(env, "coreRoundTrip: a count from 1 to 10000000");
  napi_value out;
  napi_create_double(env, roundTripNs(1, n), &out);
  return out;
}

// poolParts(stallMs): tests. Returns [parts the calling thread took, parts its pool's threads took] since
// the last call, and has the pool's threads start any job in the next stallMs only after them (0: none).
napi_value PoolParts(napi_env env, napi_callback_info info) {
  int32_t ms = 0;
  if (!oneCount(env, info, 0, 10000, &ms)) return fail(env, "poolParts: a stall from 0 to 10000 ms");
  Pool& p = pool();
  p.stallUntil_.store((std::chrono::steady_clock::now() + std::chrono::milliseconds(ms)).time_since_epoch().count());
  napi_value out, value;
  napi_create_array_with_length(env, 2, &out);
  napi_create_double(env, (double)p.partsByCaller_.exchange(0), &value);
  napi_set_element(env, out, 0, value);
  napi_create_double(env, (double)p.partsByWorkers_.exchange(0), &value);
  napi_set_element(env, out, 1, value);
  return out;
}

// kernelPlacement(mode): how the fused MLP step treats where its kernel threads sit (placement above).
// mode: 0 measures it (training's default), 1 takes the cores as near, 2 as far (tests and A/B benchmarks);
// -1 only reads. Returns { mode, far, roundTripNs, evictedSteps, evictedRowShares, canEvict, measurements }:
// the calling thread's mode, whether its last fused step took its cores as far, the worst round trip last
// measured (0: none yet), how many fused steps on any thread have evicted the kernels before Adam, how many
// shares of rows threads have evicted after reading them, whether this CPU can (CLFLUSHOPT), and how many
// times the calling thread has measured.
napi_value KernelPlacement(napi_env env, napi_callback_info info) {
  int32_t mode = -1;
  if (!oneCount(env, info, -1, 2, &mode)) return fail(env, "kernelPlacement: a mode from -1 to 2");
  if (mode >= 0) placement.mode = mode, placement.measuredSize = 0;
  napi_value out, value;
  napi_create_object(env, &out);
  napi_create_int32(env, placement.mode, &value);
  napi_set_named_property(env, out, "mode", value);
  napi_get_boolean(env, placement.far, &value);
  napi_set_named_property(env, out, "far", value);
  napi_create_double(env, placement.worstNs, &value);
  napi_set_named_property(env, out, "roundTripNs", value);
  napi_create_double(env, (double)evictedSteps.load(), &value);
  napi_set_named_property(env, out, "evictedSteps", value);
  napi_create_double(env, (double)evictedRowShares.load(), &value);
  napi_set_named_property(env, out, "evictedRowShares", value);
  napi_get_boolean(env, evictionWorks, &value);
  napi_set_named_property(env, out, "canEvict", value);
  napi_create_double(env, (double)placement.measurements, &value);
  napi_set_named_property(env, out, "measurements", value);
  napi_create_double(env, placement.lastMeasureUs, &value);
  napi_set_named_property(env, out, "lastMeasureUs", value);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  const struct { const char* name; napi_callback fn; } fns[] = {{"matmul", MatMul}, {"conv2d", Conv2D}, {"conv2dFilterGrad", Conv2DFilterGrad}, {"conv2dInputGrad", Conv2DInputGrad}, {"adam", Adam}, {"sumRows", SumRows}, {"softplus", Softplus}, {"binary", Binary}, {"unary", Unary}, {"sumInner", SumInner}, {"setThreads", SetThreads}, {"coreRoundTrip", CoreRoundTrip}, {"kernelPlacement", KernelPlacement}, {"poolParts", PoolParts}, {"help", Help}, {"setLending", SetLending}, {"seatedOffers", SeatedOffers}, {"adamShared", AdamShared}, {"mlpVaeStep", MlpVaeStep}, {"mlpVaeStepArrays", MlpVaeStepArrays}, {"pixelsToFloats", PixelsToFloats}, {"sigmoidSquaredError", SigmoidSquaredError}, {"sigmoidSquaredErrorGrad", SigmoidSquaredErrorGrad}};
  for (const auto& f : fns) {
    napi_value value;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &value);
    napi_set_named_property(env, exports, f.name, value);
  }
  napi_value name;
  const char* isaName = isa == AVX512 ? "avx512" : isa == AVX2 ? "avx2+fma" : "128-bit";
  napi_create_string_utf8(env, isaName, NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, exports, "isa", name);
  return exports;
}
