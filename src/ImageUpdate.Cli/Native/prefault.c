/*
 * Linked into the native image-update executable (see ImageUpdate.Cli.csproj, target
 * CompileNativeSources). Before main, the NativeAOT runtime expands its dehydrated type data into
 * .hydrated, a zero-fill section of about 3.5 MiB: left to page faults, one per 4 KiB page, some 900
 * of a `list` run's 1250. Asking the kernel to fill the writable zero-fill ranges in one call each
 * (MADV_POPULATE_WRITE, Linux 5.14) costs the page clearing without the faults. Native/hydrated.ld
 * gives .hydrated a segment of its own, aligned and padded to 2 MiB, so with huge pages allowed
 * (THP in "madvise" mode, Debian's default) that range is two 2 MiB pages, filled in about 0.4 ms
 * where 4 KiB pages took about 1 ms. The cost of that alignment: the kernel loads the executable at a
 * 2 MiB-aligned random address, 19 bits of ASLR for its base instead of 28. The ranges are read from
 * the program headers, so they follow the linker's layout. On an older kernel madvise fails with
 * EINVAL and nothing changes.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

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
        if (end > start) {
            /* Huge pages where the range allows: .hydrated's two 2 MiB pages. */
            madvise((void *)start, end - start, MADV_HUGEPAGE);
            madvise((void *)start, end - start, MADV_POPULATE_WRITE);
        }
    }
    return 1; /* the first object is the executable itself: stop there */
}

__attribute__((constructor)) static void image_update_prefault(void)
{
    dl_iterate_phdr(populate_zero_fill, NULL);
}
