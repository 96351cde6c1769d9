using System.Globalization;

namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// GPT partition type UUIDs under the names systemd-repart and sysupdate.d's MatchPartitionType= use
/// (the Discoverable Partitions Specification; systemd src/shared/gpt.c, src/systemd/sd-gpt.h).
/// The generic names (root, usr-verity, ...) mean the native architecture of the build, which is
/// x86-64 here, exactly as systemd compiled for x86-64 resolves them.
/// </summary>
public static class PartitionType
{
    /// <summary>The fallback type of a sysupdate partition target (sysupdate.d(5) MatchPartitionType=).</summary>
    public static readonly Guid LinuxGeneric = new("0fc63daf-8483-4772-8e79-3d69d8477de4");

    public static readonly Guid Esp = new("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");

    public static readonly Guid Xbootldr = new("bc13c2ff-59e6-4262-a352-b275fd6f7172");

    // Order matters, as in gpt.c: a canonical name comes before its aliases (aarch64 after arm64,
    // amd64 after x86-64) and the per-architecture names before the native ones, so that NameOf
    // returns the first, canonical entry for a UUID. Transcribed from sd-gpt.h and cross-checked
    // against util-linux 2.38's `sfdisk --label gpt --list-types` (all but parisc, which it lacks).
    private static readonly (Guid Uuid, string Name)[] Table =
    [
        (new Guid("6523f8ae-3eb1-4e2a-a05a-18b695ae656f"), "root-alpha"),
        (new Guid("fc56d9e9-e6e5-4c06-be32-e74407ce09a5"), "root-alpha-verity"),
        (new Guid("d46495b7-a053-414f-80f7-700c99921ef8"), "root-alpha-verity-sig"),
        (new Guid("e18cf08c-33ec-4c0d-8246-c6c6fb3da024"), "usr-alpha"),
        (new Guid("8cce0d25-c0d0-4a44-bd87-46331bf1df67"), "usr-alpha-verity"),
        (new Guid("5c6e1c76-076a-457a-a0fe-f3b4cd21ce6e"), "usr-alpha-verity-sig"),
        (new Guid("d27f46ed-2919-4cb8-bd25-9531f3c16534"), "root-arc"),
        (new Guid("24b2d975-0f97-4521-afa1-cd531e421b8d"), "root-arc-verity"),
        (new Guid("143a70ba-cbd3-4f06-919f-6c05683a78bc"), "root-arc-verity-sig"),
        (new Guid("7978a683-6316-4922-bbee-38bff5a2fecc"), "usr-arc"),
        (new Guid("fca0598c-d880-4591-8c16-4eda05c7347c"), "usr-arc-verity"),
        (new Guid("94f9a9a1-9971-427a-a400-50cb297f0f35"), "usr-arc-verity-sig"),
        (new Guid("69dad710-2ce4-4e3c-b16c-21a1d49abed3"), "root-arm"),
        (new Guid("7386cdf2-203c-47a9-a498-f2ecce45a2d6"), "root-arm-verity"),
        (new Guid("42b0455f-eb11-491d-98d3-56145ba9d037"), "root-arm-verity-sig"),
        (new Guid("7d0359a3-02b3-4f0a-865c-654403e70625"), "usr-arm"),
        (new Guid("c215d751-7bcd-4649-be90-6627490a4c05"), "usr-arm-verity"),
        (new Guid("d7ff812f-37d1-4902-a810-d76ba57b975a"), "usr-arm-verity-sig"),
        (new Guid("69dad710-2ce4-4e3c-b16c-21a1d49abed3"), "root-armv7l"),
        (new Guid("7386cdf2-203c-47a9-a498-f2ecce45a2d6"), "root-armv7l-verity"),
        (new Guid("42b0455f-eb11-491d-98d3-56145ba9d037"), "root-armv7l-verity-sig"),
        (new Guid("7d0359a3-02b3-4f0a-865c-654403e70625"), "usr-armv7l"),
        (new Guid("c215d751-7bcd-4649-be90-6627490a4c05"), "usr-armv7l-verity"),
        (new Guid("d7ff812f-37d1-4902-a810-d76ba57b975a"), "usr-armv7l-verity-sig"),
        (new Guid("b921b045-1df0-41c3-af44-4c6f280d3fae"), "root-arm64"),
        (new Guid("df3300ce-d69f-4c92-978c-9bfb0f38d820"), "root-arm64-verity"),
        (new Guid("6db69de6-29f4-4758-a7a5-962190f00ce3"), "root-arm64-verity-sig"),
        (new Guid("b0e01050-ee5f-4390-949a-9101b17104e9"), "usr-arm64"),
        (new Guid("6e11a4e7-fbca-4ded-b9e9-e1a512bb664e"), "usr-arm64-verity"),
        (new Guid("c23ce4ff-44bd-4b00-b2d4-b41b3419e02a"), "usr-arm64-verity-sig"),
        (new Guid("b921b045-1df0-41c3-af44-4c6f280d3fae"), "root-aarch64"),
        (new Guid("df3300ce-d69f-4c92-978c-9bfb0f38d820"), "root-aarch64-verity"),
        (new Guid("6db69de6-29f4-4758-a7a5-962190f00ce3"), "root-aarch64-verity-sig"),
        (new Guid("b0e01050-ee5f-4390-949a-9101b17104e9"), "usr-aarch64"),
        (new Guid("6e11a4e7-fbca-4ded-b9e9-e1a512bb664e"), "usr-aarch64-verity"),
        (new Guid("c23ce4ff-44bd-4b00-b2d4-b41b3419e02a"), "usr-aarch64-verity-sig"),
        (new Guid("993d8d3d-f80e-4225-855a-9daf8ed7ea97"), "root-ia64"),
        (new Guid("86ed10d5-b607-45bb-8957-d350f23d0571"), "root-ia64-verity"),
        (new Guid("e98b36ee-32ba-4882-9b12-0ce14655f46a"), "root-ia64-verity-sig"),
        (new Guid("4301d2a6-4e3b-4b2a-bb94-9e0b2c4225ea"), "usr-ia64"),
        (new Guid("6a491e03-3be7-4545-8e38-83320e0ea880"), "usr-ia64-verity"),
        (new Guid("8de58bc2-2a43-460d-b14e-a76e4a17b47f"), "usr-ia64-verity-sig"),
        (new Guid("77055800-792c-4f94-b39a-98c91b762bb6"), "root-loongarch64"),
        (new Guid("f3393b22-e9af-4613-a948-9d3bfbd0c535"), "root-loongarch64-verity"),
        (new Guid("5afb67eb-ecc8-4f85-ae8e-ac1e7c50e7d0"), "root-loongarch64-verity-sig"),
        (new Guid("e611c702-575c-4cbe-9a46-434fa0bf7e3f"), "usr-loongarch64"),
        (new Guid("f46b2c26-59ae-48f0-9106-c50ed47f673d"), "usr-loongarch64-verity"),
        (new Guid("b024f315-d330-444c-8461-44bbde524e99"), "usr-loongarch64-verity-sig"),
        (new Guid("77055800-792c-4f94-b39a-98c91b762bb6"), "root-loong64"),
        (new Guid("f3393b22-e9af-4613-a948-9d3bfbd0c535"), "root-loong64-verity"),
        (new Guid("5afb67eb-ecc8-4f85-ae8e-ac1e7c50e7d0"), "root-loong64-verity-sig"),
        (new Guid("e611c702-575c-4cbe-9a46-434fa0bf7e3f"), "usr-loong64"),
        (new Guid("f46b2c26-59ae-48f0-9106-c50ed47f673d"), "usr-loong64-verity"),
        (new Guid("b024f315-d330-444c-8461-44bbde524e99"), "usr-loong64-verity-sig"),
        (new Guid("37c58c8a-d913-4156-a25f-48b1b64e07f0"), "root-mips-le"),
        (new Guid("d7d150d2-2a04-4a33-8f12-16651205ff7b"), "root-mips-le-verity"),
        (new Guid("c919cc1f-4456-4eff-918c-f75e94525ca5"), "root-mips-le-verity-sig"),
        (new Guid("0f4868e9-9952-4706-979f-3ed3a473e947"), "usr-mips-le"),
        (new Guid("46b98d8d-b55c-4e8f-aab3-37fca7f80752"), "usr-mips-le-verity"),
        (new Guid("3e23ca0b-a4bc-4b4e-8087-5ab6a26aa8a9"), "usr-mips-le-verity-sig"),
        (new Guid("37c58c8a-d913-4156-a25f-48b1b64e07f0"), "root-mipsel"),
        (new Guid("d7d150d2-2a04-4a33-8f12-16651205ff7b"), "root-mipsel-verity"),
        (new Guid("c919cc1f-4456-4eff-918c-f75e94525ca5"), "root-mipsel-verity-sig"),
        (new Guid("0f4868e9-9952-4706-979f-3ed3a473e947"), "usr-mipsel"),
        (new Guid("46b98d8d-b55c-4e8f-aab3-37fca7f80752"), "usr-mipsel-verity"),
        (new Guid("3e23ca0b-a4bc-4b4e-8087-5ab6a26aa8a9"), "usr-mipsel-verity-sig"),
        (new Guid("700bda43-7a34-4507-b179-eeb93d7a7ca3"), "root-mips64-le"),
        (new Guid("16b417f8-3e06-4f57-8dd2-9b5232f41aa6"), "root-mips64-le-verity"),
        (new Guid("904e58ef-5c65-4a31-9c57-6af5fc7c5de7"), "root-mips64-le-verity-sig"),
        (new Guid("c97c1f32-ba06-40b4-9f22-236061b08aa8"), "usr-mips64-le"),
        (new Guid("3c3d61fe-b5f3-414d-bb71-8739a694a4ef"), "usr-mips64-le-verity"),
        (new Guid("f2c2c7ee-adcc-4351-b5c6-ee9816b66e16"), "usr-mips64-le-verity-sig"),
        (new Guid("700bda43-7a34-4507-b179-eeb93d7a7ca3"), "root-mips64el"),
        (new Guid("16b417f8-3e06-4f57-8dd2-9b5232f41aa6"), "root-mips64el-verity"),
        (new Guid("904e58ef-5c65-4a31-9c57-6af5fc7c5de7"), "root-mips64el-verity-sig"),
        (new Guid("c97c1f32-ba06-40b4-9f22-236061b08aa8"), "usr-mips64el"),
        (new Guid("3c3d61fe-b5f3-414d-bb71-8739a694a4ef"), "usr-mips64el-verity"),
        (new Guid("f2c2c7ee-adcc-4351-b5c6-ee9816b66e16"), "usr-mips64el-verity-sig"),
        (new Guid("1aacdb3b-5444-4138-bd9e-e5c2239b2346"), "root-parisc"),
        (new Guid("d212a430-fbc5-49f9-a983-a7feef2b8d0e"), "root-parisc-verity"),
        (new Guid("15de6170-65d3-431c-916e-b0dcd8393f25"), "root-parisc-verity-sig"),
        (new Guid("dc4a4480-6917-4262-a4ec-db9384949f25"), "usr-parisc"),
        (new Guid("5843d618-ec37-48d7-9f12-cea8e08768b2"), "usr-parisc-verity"),
        (new Guid("450dd7d1-3224-45ec-9cf2-a43a346d71ee"), "usr-parisc-verity-sig"),
        (new Guid("1aacdb3b-5444-4138-bd9e-e5c2239b2346"), "root-hppa"),
        (new Guid("d212a430-fbc5-49f9-a983-a7feef2b8d0e"), "root-hppa-verity"),
        (new Guid("15de6170-65d3-431c-916e-b0dcd8393f25"), "root-hppa-verity-sig"),
        (new Guid("dc4a4480-6917-4262-a4ec-db9384949f25"), "usr-hppa"),
        (new Guid("5843d618-ec37-48d7-9f12-cea8e08768b2"), "usr-hppa-verity"),
        (new Guid("450dd7d1-3224-45ec-9cf2-a43a346d71ee"), "usr-hppa-verity-sig"),
        (new Guid("1de3f1ef-fa98-47b5-8dcd-4a860a654d78"), "root-ppc"),
        (new Guid("98cfe649-1588-46dc-b2f0-add147424925"), "root-ppc-verity"),
        (new Guid("1b31b5aa-add9-463a-b2ed-bd467fc857e7"), "root-ppc-verity-sig"),
        (new Guid("7d14fec5-cc71-415d-9d6c-06bf0b3c3eaf"), "usr-ppc"),
        (new Guid("df765d00-270e-49e5-bc75-f47bb2118b09"), "usr-ppc-verity"),
        (new Guid("7007891d-d371-4a80-86a4-5cb875b9302e"), "usr-ppc-verity-sig"),
        (new Guid("912ade1d-a839-4913-8964-a10eee08fbd2"), "root-ppc64"),
        (new Guid("9225a9a3-3c19-4d89-b4f6-eeff88f17631"), "root-ppc64-verity"),
        (new Guid("f5e2c20c-45b2-4ffa-bce9-2a60737e1aaf"), "root-ppc64-verity-sig"),
        (new Guid("2c9739e2-f068-46b3-9fd0-01c5a9afbcca"), "usr-ppc64"),
        (new Guid("bdb528a5-a259-475f-a87d-da53fa736a07"), "usr-ppc64-verity"),
        (new Guid("0b888863-d7f8-4d9e-9766-239fce4d58af"), "usr-ppc64-verity-sig"),
        (new Guid("c31c45e6-3f39-412e-80fb-4809c4980599"), "root-ppc64-le"),
        (new Guid("906bd944-4589-4aae-a4e4-dd983917446a"), "root-ppc64-le-verity"),
        (new Guid("d4a236e7-e873-4c07-bf1d-bf6cf7f1c3c6"), "root-ppc64-le-verity-sig"),
        (new Guid("15bb03af-77e7-4d4a-b12b-c0d084f7491c"), "usr-ppc64-le"),
        (new Guid("ee2b9983-21e8-4153-86d9-b6901a54d1ce"), "usr-ppc64-le-verity"),
        (new Guid("c8bfbd1e-268e-4521-8bba-bf314c399557"), "usr-ppc64-le-verity-sig"),
        (new Guid("c31c45e6-3f39-412e-80fb-4809c4980599"), "root-ppc64le"),
        (new Guid("906bd944-4589-4aae-a4e4-dd983917446a"), "root-ppc64le-verity"),
        (new Guid("d4a236e7-e873-4c07-bf1d-bf6cf7f1c3c6"), "root-ppc64le-verity-sig"),
        (new Guid("15bb03af-77e7-4d4a-b12b-c0d084f7491c"), "usr-ppc64le"),
        (new Guid("ee2b9983-21e8-4153-86d9-b6901a54d1ce"), "usr-ppc64le-verity"),
        (new Guid("c8bfbd1e-268e-4521-8bba-bf314c399557"), "usr-ppc64le-verity-sig"),
        (new Guid("c31c45e6-3f39-412e-80fb-4809c4980599"), "root-ppc64el"),
        (new Guid("906bd944-4589-4aae-a4e4-dd983917446a"), "root-ppc64el-verity"),
        (new Guid("d4a236e7-e873-4c07-bf1d-bf6cf7f1c3c6"), "root-ppc64el-verity-sig"),
        (new Guid("15bb03af-77e7-4d4a-b12b-c0d084f7491c"), "usr-ppc64el"),
        (new Guid("ee2b9983-21e8-4153-86d9-b6901a54d1ce"), "usr-ppc64el-verity"),
        (new Guid("c8bfbd1e-268e-4521-8bba-bf314c399557"), "usr-ppc64el-verity-sig"),
        (new Guid("60d5a7fe-8e7d-435c-b714-3dd8162144e1"), "root-riscv32"),
        (new Guid("ae0253be-1167-4007-ac68-43926c14c5de"), "root-riscv32-verity"),
        (new Guid("3a112a75-8729-4380-b4cf-764d79934448"), "root-riscv32-verity-sig"),
        (new Guid("b933fb22-5c3f-4f91-af90-e2bb0fa50702"), "usr-riscv32"),
        (new Guid("cb1ee4e3-8cd0-4136-a0a4-aa61a32e8730"), "usr-riscv32-verity"),
        (new Guid("c3836a13-3137-45ba-b583-b16c50fe5eb4"), "usr-riscv32-verity-sig"),
        (new Guid("72ec70a6-cf74-40e6-bd49-4bda08e8f224"), "root-riscv64"),
        (new Guid("b6ed5582-440b-4209-b8da-5ff7c419ea3d"), "root-riscv64-verity"),
        (new Guid("efe0f087-ea8d-4469-821a-4c2a96a8386a"), "root-riscv64-verity-sig"),
        (new Guid("beaec34b-8442-439b-a40b-984381ed097d"), "usr-riscv64"),
        (new Guid("8f1056be-9b05-47c4-81d6-be53128e5b54"), "usr-riscv64-verity"),
        (new Guid("d2f9000a-7a18-453f-b5cd-4d32f77a7b32"), "usr-riscv64-verity-sig"),
        (new Guid("08a7acea-624c-4a20-91e8-6e0fa67d23f9"), "root-s390"),
        (new Guid("7ac63b47-b25c-463b-8df8-b4a94e6c90e1"), "root-s390-verity"),
        (new Guid("3482388e-4254-435a-a241-766a065f9960"), "root-s390-verity-sig"),
        (new Guid("cd0f869b-d0fb-4ca0-b141-9ea87cc78d66"), "usr-s390"),
        (new Guid("b663c618-e7bc-4d6d-90aa-11b756bb1797"), "usr-s390-verity"),
        (new Guid("17440e4f-a8d0-467f-a46e-3912ae6ef2c5"), "usr-s390-verity-sig"),
        (new Guid("5eead9a9-fe09-4a1e-a1d7-520d00531306"), "root-s390x"),
        (new Guid("b325bfbe-c7be-4ab8-8357-139e652d2f6b"), "root-s390x-verity"),
        (new Guid("c80187a5-73a3-491a-901a-017c3fa953e9"), "root-s390x-verity-sig"),
        (new Guid("8a4f5770-50aa-4ed3-874a-99b710db6fea"), "usr-s390x"),
        (new Guid("31741cc4-1a2a-4111-a581-e00b447d2d06"), "usr-s390x-verity"),
        (new Guid("3f324816-667b-46ae-86ee-9b0c0c6c11b4"), "usr-s390x-verity-sig"),
        (new Guid("c50cdd70-3862-4cc3-90e1-809a8c93ee2c"), "root-tilegx"),
        (new Guid("966061ec-28e4-4b2e-b4a5-1f0a825a1d84"), "root-tilegx-verity"),
        (new Guid("b3671439-97b0-4a53-90f7-2d5a8f3ad47b"), "root-tilegx-verity-sig"),
        (new Guid("55497029-c7c1-44cc-aa39-815ed1558630"), "usr-tilegx"),
        (new Guid("2fb4bf56-07fa-42da-8132-6b139f2026ae"), "usr-tilegx-verity"),
        (new Guid("4ede75e2-6ccc-4cc8-b9c7-70334b087510"), "usr-tilegx-verity-sig"),
        (new Guid("44479540-f297-41b2-9af7-d131d5f0458a"), "root-x86"),
        (new Guid("d13c5d3b-b5d1-422a-b29f-9454fdc89d76"), "root-x86-verity"),
        (new Guid("5996fc05-109c-48de-808b-23fa0830b676"), "root-x86-verity-sig"),
        (new Guid("75250d76-8cc6-458e-bd66-bd47cc81a812"), "usr-x86"),
        (new Guid("8f461b0d-14ee-4e81-9aa9-049b6fb97abd"), "usr-x86-verity"),
        (new Guid("974a71c0-de41-43c3-be5d-5c5ccd1ad2c0"), "usr-x86-verity-sig"),
        (new Guid("44479540-f297-41b2-9af7-d131d5f0458a"), "root-i386"),
        (new Guid("d13c5d3b-b5d1-422a-b29f-9454fdc89d76"), "root-i386-verity"),
        (new Guid("5996fc05-109c-48de-808b-23fa0830b676"), "root-i386-verity-sig"),
        (new Guid("75250d76-8cc6-458e-bd66-bd47cc81a812"), "usr-i386"),
        (new Guid("8f461b0d-14ee-4e81-9aa9-049b6fb97abd"), "usr-i386-verity"),
        (new Guid("974a71c0-de41-43c3-be5d-5c5ccd1ad2c0"), "usr-i386-verity-sig"),
        (new Guid("44479540-f297-41b2-9af7-d131d5f0458a"), "root-i486"),
        (new Guid("d13c5d3b-b5d1-422a-b29f-9454fdc89d76"), "root-i486-verity"),
        (new Guid("5996fc05-109c-48de-808b-23fa0830b676"), "root-i486-verity-sig"),
        (new Guid("75250d76-8cc6-458e-bd66-bd47cc81a812"), "usr-i486"),
        (new Guid("8f461b0d-14ee-4e81-9aa9-049b6fb97abd"), "usr-i486-verity"),
        (new Guid("974a71c0-de41-43c3-be5d-5c5ccd1ad2c0"), "usr-i486-verity-sig"),
        (new Guid("44479540-f297-41b2-9af7-d131d5f0458a"), "root-i586"),
        (new Guid("d13c5d3b-b5d1-422a-b29f-9454fdc89d76"), "root-i586-verity"),
        (new Guid("5996fc05-109c-48de-808b-23fa0830b676"), "root-i586-verity-sig"),
        (new Guid("75250d76-8cc6-458e-bd66-bd47cc81a812"), "usr-i586"),
        (new Guid("8f461b0d-14ee-4e81-9aa9-049b6fb97abd"), "usr-i586-verity"),
        (new Guid("974a71c0-de41-43c3-be5d-5c5ccd1ad2c0"), "usr-i586-verity-sig"),
        (new Guid("44479540-f297-41b2-9af7-d131d5f0458a"), "root-i686"),
        (new Guid("d13c5d3b-b5d1-422a-b29f-9454fdc89d76"), "root-i686-verity"),
        (new Guid("5996fc05-109c-48de-808b-23fa0830b676"), "root-i686-verity-sig"),
        (new Guid("75250d76-8cc6-458e-bd66-bd47cc81a812"), "usr-i686"),
        (new Guid("8f461b0d-14ee-4e81-9aa9-049b6fb97abd"), "usr-i686-verity"),
        (new Guid("974a71c0-de41-43c3-be5d-5c5ccd1ad2c0"), "usr-i686-verity-sig"),
        (new Guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709"), "root-x86-64"),
        (new Guid("2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"), "root-x86-64-verity"),
        (new Guid("41092b05-9fc8-4523-994f-2def0408b176"), "root-x86-64-verity-sig"),
        (new Guid("8484680c-9521-48c6-9c11-b0720656f69e"), "usr-x86-64"),
        (new Guid("77ff5f63-e7b6-4633-acf4-1565b864c0e6"), "usr-x86-64-verity"),
        (new Guid("e7bb33fb-06cf-4e81-8273-e543b413e2e2"), "usr-x86-64-verity-sig"),
        (new Guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709"), "root-x86_64"),
        (new Guid("2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"), "root-x86_64-verity"),
        (new Guid("41092b05-9fc8-4523-994f-2def0408b176"), "root-x86_64-verity-sig"),
        (new Guid("8484680c-9521-48c6-9c11-b0720656f69e"), "usr-x86_64"),
        (new Guid("77ff5f63-e7b6-4633-acf4-1565b864c0e6"), "usr-x86_64-verity"),
        (new Guid("e7bb33fb-06cf-4e81-8273-e543b413e2e2"), "usr-x86_64-verity-sig"),
        (new Guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709"), "root-amd64"),
        (new Guid("2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"), "root-amd64-verity"),
        (new Guid("41092b05-9fc8-4523-994f-2def0408b176"), "root-amd64-verity-sig"),
        (new Guid("8484680c-9521-48c6-9c11-b0720656f69e"), "usr-amd64"),
        (new Guid("77ff5f63-e7b6-4633-acf4-1565b864c0e6"), "usr-amd64-verity"),
        (new Guid("e7bb33fb-06cf-4e81-8273-e543b413e2e2"), "usr-amd64-verity-sig"),
        (new Guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709"), "root"),
        (new Guid("2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"), "root-verity"),
        (new Guid("41092b05-9fc8-4523-994f-2def0408b176"), "root-verity-sig"),
        (new Guid("8484680c-9521-48c6-9c11-b0720656f69e"), "usr"),
        (new Guid("77ff5f63-e7b6-4633-acf4-1565b864c0e6"), "usr-verity"),
        (new Guid("e7bb33fb-06cf-4e81-8273-e543b413e2e2"), "usr-verity-sig"),
        (new Guid("44479540-f297-41b2-9af7-d131d5f0458a"), "root-secondary"),
        (new Guid("d13c5d3b-b5d1-422a-b29f-9454fdc89d76"), "root-secondary-verity"),
        (new Guid("5996fc05-109c-48de-808b-23fa0830b676"), "root-secondary-verity-sig"),
        (new Guid("75250d76-8cc6-458e-bd66-bd47cc81a812"), "usr-secondary"),
        (new Guid("8f461b0d-14ee-4e81-9aa9-049b6fb97abd"), "usr-secondary-verity"),
        (new Guid("974a71c0-de41-43c3-be5d-5c5ccd1ad2c0"), "usr-secondary-verity-sig"),
        (Esp, "esp"),
        (Xbootldr, "xbootldr"),
        (new Guid("0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"), "swap"),
        (new Guid("933ac7e1-2eb4-4f13-b844-0e14e2aef915"), "home"),
        (new Guid("3b8f8425-20e0-4f3b-907f-1a25a76f98e8"), "srv"),
        (new Guid("4d21b016-b534-45c2-a9fb-5c16e091fd2d"), "var"),
        (new Guid("7ec6f557-3bc5-4aca-b293-16ef5df639d1"), "tmp"),
        (new Guid("773f91ef-66d4-49b5-bd83-d683bf40ad16"), "user-home"),
        (LinuxGeneric, "linux-generic"),
    ];

    /// <summary>All names, aliases included, in table order.</summary>
    public static IEnumerable<string> Names => Table.Select(e => e.Name);

    /// <summary>
    /// A repart name (exact, case-sensitive, as gpt_partition_type_from_string compares) or a UUID
    /// in the forms sd_id128_from_string accepts: 32 hex digits, or 36 characters with dashes.
    /// </summary>
    public static bool TryParse(string nameOrUuid, out Guid type)
    {
        ArgumentNullException.ThrowIfNull(nameOrUuid);
        foreach (var (uuid, name) in Table)
        {
            if (string.Equals(name, nameOrUuid, StringComparison.Ordinal))
            {
                type = uuid;
                return true;
            }
        }

        return TryParseId128(nameOrUuid, out type);
    }

    /// <summary>The canonical name of a known type, or null.</summary>
    public static string? NameOf(Guid type)
    {
        foreach (var (uuid, name) in Table)
        {
            if (uuid == type)
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// sd_id128_from_string: exactly 32 hex digits, or the 8-4-4-4-12 form; either case; nothing else
    /// (no braces, no surrounding whitespace).
    /// </summary>
    public static bool TryParseId128(string text, out Guid id)
    {
        id = Guid.Empty;
        if (text.Length == 36)
        {
            if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
            {
                return false;
            }

            text = text.Replace("-", string.Empty, StringComparison.Ordinal);
        }

        if (text.Length != 32 || !text.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        return Guid.TryParseExact(text, "N", out id);
    }

    /// <summary>The lower-case 8-4-4-4-12 form systemd prints.</summary>
    public static string Format(Guid type) => type.ToString("D", CultureInfo.InvariantCulture);
}
