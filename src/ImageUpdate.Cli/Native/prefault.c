/*
 * Linked into the native image-update executable (see ImageUpdate.Cli.csproj, target
 * CompileNativeSources). Before main, the NativeAOT runtime expands its dehydrated type data into
 * .hydrated, a zero-fill section of about 3.5 MiB: left to page faults, one per 4 KiB page, some 900
 * of a `list` run's 1250. Asking the kernel to fill the writable zero-fill ranges in one call each
 * (MADV_POPULATE_WRITE, Linux 5.14) costs the page clearing without the faults. Native/hydrated.ld
 * gives .hydrated a segment of its own, aligned and padded to 2 MiB, so with huge pages allowed
 * (THP in "madvise" mode, Debian's default) that range is two 2 MiB pages, filled in about 0.4 ms
 * where 4 KiB pages took about 1 ms. The cost of that alignment: the kernel loads the executable at a
 * 2 MiB-aligned random address, 19 bits of ASLR for its base instead of 28. Those two pages are
 * filled on a short-lived second thread, started here with a 64 KiB stack, while the main thread goes
 * on into the runtime's own set-up, which comes before the runtime writes there; nothing waits for that
 * thread, and it ends after its two calls. The ranges are read from the program headers, so they
 * follow the linker's layout. On an older kernel madvise fails with EINVAL and nothing changes.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define HUGE_PAGE ((uintptr_t)2 << 20)

static uintptr_t hydrated_start, hydrated_end;

/* Top down, one huge page a call: the runtime fills the range bottom up, so if it catches up it
 * faults in the pages not reached yet itself instead of waiting for this thread. */
static void *populate_hydrated(void *unused)
{
    (void)unused;
    for (uintptr_t end = hydrated_end; end > hydrated_start; end -= HUGE_PAGE) {
        if (madvise((void *)(end - HUGE_PAGE), HUGE_PAGE, MADV_POPULATE_WRITE) != 0)
            break;
    }
    return NULL;
}

static int populate_zero_fill(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || ph->p_memsz <= ph->p_filesz)
            continue;
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr + ph->p_filesz + page - 1) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        if (end <= start)
            continue;
        if (start % HUGE_PAGE == 0 && end % HUGE_PAGE == 0 && hydrated_end == 0) {
            /* .hydrated's own segment (Native/hydrated.ld): huge pages, filled on a second thread. */
            madvise((void *)start, end - start, MADV_HUGEPAGE);
            hydrated_start = start;
            hydrated_end = end;
        } else {
            madvise((void *)start, end - start, MADV_POPULATE_WRITE);
        }
    }
    return 1; /* the first object is the executable itself: stop there */
}

__attribute__((constructor)) static void image_update_prefault(void)
{
    dl_iterate_phdr(populate_zero_fill, NULL);
    if (hydrated_end == 0)
        return;
    /* The runtime registers for private expedited membarrier as it starts. Registering while another
     * thread of the process exists makes the kernel wait out an RCU grace period (about 10 ms here),
     * so register now, while this is the only thread; the runtime's own call then returns at once.
     * Where that fails, or no thread can be started, the range is filled here. */
    pthread_attr_t attr;
    pthread_t thread;
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0 || pthread_attr_init(&attr) != 0) {
        populate_hydrated(NULL);
        return;
    }
    pthread_attr_setstacksize(&attr, 64 << 10);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attr, populate_hydrated, NULL) != 0)
        populate_hydrated(NULL);
    pthread_attr_destroy(&attr);
}
