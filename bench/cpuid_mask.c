// LD_PRELOAD measurement aid: makes this process see an AVX2 + FMA CPU (no AVX-512, no
// AVX-VNNI, no AMX) on a CPU that has more, so onnxruntime picks its own AVX2 kernels and
// both libraries can be compared on one core, like for like. onnxruntime has no switch
// for its kernel choice; fastinfer's FASTINFER_ISA forces only fastinfer.
//
// How: Linux CPUID faulting (arch_prctl ARCH_SET_CPUID, 0; /proc/cpuinfo flag
// cpuid_fault) makes every cpuid instruction in this process raise SIGSEGV. The handler
// turns faulting off for a moment, runs the real cpuid, clears the feature bits below, and
// steps over the instruction. The setting is per thread and inherited by threads created
// later, so the constructor, which runs before onnxruntime starts its threads, covers them.
// xgetbv is not masked: libraries check the cpuid feature bits before the OS state bits.
//
// Build and use through bench/cpuid_mask.py, which compiles this file and runs a command
// under it: python bench/cpuid_mask.py python bench/compare.py 1 2
// Nothing in fastinfer or onnxruntime is changed; without cpuid_fault it prints why and
// exits, rather than measure the unmasked CPU under a masked label.
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static int set_cpuid_faulting(int on) {
  // ARCH_SET_CPUID's argument is "cpuid allowed": 0 makes it fault.
  return (int)syscall(SYS_arch_prctl, ARCH_SET_CPUID, on ? 0 : 1);
}

static void mask(unsigned leaf, unsigned sub, unsigned* a, unsigned* b, unsigned* c,
                 unsigned* d) {
  (void)d;
  if (leaf == 7 && sub == 0) {
    // EBX: AVX512 F, DQ, IFMA, PF, ER, CD, BW, VL.
    *b &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) |
            (1u << 30) | (1u << 31));
    // ECX: AVX512 VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ.
    *c &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
    // EDX: AVX512 4VNNIW, 4FMAPS, VP2INTERSECT, AMX-BF16, AVX512-FP16, AMX-TILE, AMX-INT8.
    *d &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) |
            (1u << 25));
  } else if (leaf == 7 && sub == 1) {
    // EAX: AVX-VNNI, AVX512-BF16, AMX-FP16, AVX-IFMA; EDX: AVX-VNNI-INT8, AVX10.
    *a &= ~((1u << 4) | (1u << 5) | (1u << 21) | (1u << 23));
    *d &= ~((1u << 4) | (1u << 19));
  }
}

static void on_segv(int sig, siginfo_t* info, void* ctx_) {
  ucontext_t* ctx = (ucontext_t*)ctx_;
  unsigned char* ip = (unsigned char*)ctx->uc_mcontext.gregs[REG_RIP];
  if (ip[0] != 0x0f || ip[1] != 0xa2) {  // not cpuid: a real fault
    signal(sig, SIG_DFL);
    (void)info;
    return;  // re-executes and dies with the default action
  }
  greg_t* g = ctx->uc_mcontext.gregs;
  unsigned leaf = (unsigned)g[REG_RAX], sub = (unsigned)g[REG_RCX];
  unsigned a, b, c, d;
  set_cpuid_faulting(0);
  __cpuid_count(leaf, sub, a, b, c, d);
  set_cpuid_faulting(1);
  mask(leaf, sub, &a, &b, &c, &d);
  g[REG_RAX] = a;
  g[REG_RBX] = b;
  g[REG_RCX] = c;
  g[REG_RDX] = d;
  g[REG_RIP] += 2;
}

__attribute__((constructor)) static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  if (set_cpuid_faulting(1) != 0) {
    fprintf(stderr, "cpuid_mask: this CPU or kernel has no CPUID faulting (arch_prctl "
                    "ARCH_SET_CPUID failed); cannot hide AVX-512 here\n");
    _exit(3);
  }
}
