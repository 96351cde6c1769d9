using System.Buffers.Binary;
using System.Text;
using ImageUpdate.Formats.Pe;
using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Verity;

namespace ImageUpdate.Tests.Formats.Pe;

public sealed class UkiAssemblerTests(ITestOutputHelper output)
{
    private const string RootHash = "9d1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

    private static UkiContents Contents(byte[]? stub = null, byte[]? kernel = null, params byte[][] initrds) => new()
    {
        Stub = stub ?? TestPe.Stub(),
        StubSource = "stub.efi",
        Linux = kernel ?? TestPe.Kernel(),
        LinuxSource = "vmlinuz",
        Initrds = [.. initrds.Select(i => (ReadOnlyMemory<byte>)i)],
        OsRelease = Encoding.UTF8.GetBytes("ID=demo\nIMAGE_VERSION=2\n"),
        CommandLine = $"console=ttyS0 roothash={RootHash}",
        Uname = "6.1.0-57-amd64",
    };

    [Fact]
    public async Task The_sections_follow_the_stubs_at_aligned_addresses_and_read_back_through_our_readers()
    {
        var initrd = TestPe.Filler(5000, 7);
        var contents = Contents(initrds: initrd);

        var uki = UkiAssembler.Build(contents);

        var pe = PeImage.Read(uki, "uki.efi");
        Assert.Equal([".text", ".sbat", ".reloc", ".osrel", ".cmdline", ".uname", ".linux", ".initrd"], pe.Sections.Select(s => s.Name));
        for (var i = 3; i < pe.Sections.Length; i++)
        {
            var (previous, section) = (pe.Sections[i - 1], pe.Sections[i]);
            Assert.Equal(RoundUp(previous.VirtualAddress + previous.VirtualSize, pe.SectionAlignment), section.VirtualAddress);
            Assert.Equal(0u, section.PointerToRawData % pe.FileAlignment);
            Assert.Equal(RoundUp(section.VirtualSize, pe.FileAlignment), section.SizeOfRawData);
            Assert.Equal(PeSection.MemoryRead | (section.Name == ".linux" ? PeSection.ContainsCode : PeSection.ContainsInitializedData), section.Characteristics);
        }

        Assert.Equal(contents.OsRelease!.Value.ToArray(), PeImage.DataOf(uki, pe.Sections[3]).ToArray());
        Assert.Equal("6.1.0-57-amd64"u8.ToArray(), PeImage.DataOf(uki, pe.Sections[5]).ToArray());
        Assert.Equal(contents.Linux.ToArray(), PeImage.DataOf(uki, pe.Sections[6]).ToArray());
        Assert.Equal(initrd, PeImage.DataOf(uki, pe.Sections[7]).ToArray());
        Assert.Equal(RoundUp(pe.Sections[^1].VirtualAddress + pe.Sections[^1].VirtualSize, pe.SectionAlignment), pe.SizeOfImage);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(uki.AsSpan(pe.OptionalHeaderOffset + PeImage.Optional.CheckSum)));
        Assert.Equal(pe.Sections[^1].PointerToRawData + pe.Sections[^1].SizeOfRawData, (uint)uki.Length);

        // The stub's .sbat, rewritten in place: the stub's, the kernel's and the UKI's lines under one generation line.
        Assert.Equal(
            TestPe.Sbat("systemd-stub,1,The systemd Developers,systemd,262,https://systemd.io/") + "linux,1,Red Hat,linux,6.1.0,mailto:secalert@redhat.com\n"
                + "uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n",
            Encoding.ASCII.GetString(PeImage.DataOf(uki, pe.Sections[1])));

        await using var stream = new MemoryStream(uki);
        var lines = await UkiCommandLine.ReadAsync(stream, "uki.efi", TestContext.Current.CancellationToken);
        Assert.Equal([RootHash], UkiCommandLine.Values(Assert.Single(lines), "roothash"));
    }

    [Fact]
    public void The_same_inputs_give_the_same_bytes()
    {
        Assert.Equal(UkiAssembler.Build(Contents(initrds: [1, 2, 3])), UkiAssembler.Build(Contents(initrds: [1, 2, 3])));
    }

    [Fact]
    public void Several_initrds_are_joined_each_padded_to_four_bytes()
    {
        var uki = UkiAssembler.Build(Contents(initrds: [[1, 2, 3], [4, 5, 6, 7, 8]]));

        var pe = PeImage.Read(uki, "uki.efi");
        Assert.Equal(new byte[] { 1, 2, 3, 0, 4, 5, 6, 7, 8, 0, 0, 0 }, PeImage.DataOf(uki, pe.Sections.Single(s => s.Name == ".initrd")).ToArray());
    }

    [Theory]
    [InlineData((ushort)0x160, (ushort)0x160)]
    [InlineData((ushort)0x060, (ushort)0x060)]
    public void NX_compatibility_is_kept_only_when_the_kernel_has_it(ushort kernel, ushort expected)
    {
        var uki = UkiAssembler.Build(Contents(kernel: TestPe.Kernel(kernel)));

        Assert.Equal(expected, PeImage.Read(uki, "uki.efi").DllCharacteristics);
    }

    [Fact]
    public void A_symbol_table_at_the_end_of_the_stub_is_stripped()
    {
        var symbols = new byte[(2 * PeImage.SymbolSize) + 4];
        BinaryPrimitives.WriteUInt32LittleEndian(symbols.AsSpan(2 * PeImage.SymbolSize), 4); // an empty string table
        var stub = TestPe.Create([(".text", TestPe.Filler(100, 1))], symbolTable: symbols, symbols: 2);

        var uki = UkiAssembler.Build(Contents(stub: stub));

        var pe = PeImage.Read(uki, "uki.efi");
        Assert.Equal(0u, pe.PointerToSymbolTable);
        Assert.Equal(0u, pe.NumberOfSymbols);
        Assert.Equal((uint)(stub.Length - symbols.Length), pe.Sections[1].PointerToRawData);
        Assert.Equal(0x0206, BinaryPrimitives.ReadUInt16LittleEndian(uki.AsSpan(TestPe.PeOffset + PeImage.Coff.Characteristics))); // as ukify leaves it
    }

    public static TheoryData<string, byte[], string> HostileStubs()
    {
        var stub = TestPe.Stub();
        var length = stub.Length;
        var sectionCount = TestPe.PeOffset + PeImage.Coff.NumberOfSections;
        var optional = TestPe.OptionalOffset;
        var table = TestPe.TableOffset;
        var security = optional + PeImage.Optional.DataDirectories(pe32Plus: true) + (4 * 8);
        return new()
        {
            { "not MZ", [.. "ELF"u8, .. new byte[200]], "no MS-DOS header (\"MZ\"), so it is not a PE image" },
            { "short", [.. "MZ"u8, .. new byte[8]], "no MS-DOS header (\"MZ\"), so it is not a PE image" },
            { "e_lfanew past the end", TestPe.With(stub, PeImage.Dos.Lfanew, 0xFFFF_FF00), "no \"PE\\0\\0\" signature at the offset its MS-DOS header gives (4294967040), so it is not a PE image" },
            { "no PE signature", TestPe.With(stub, TestPe.PeOffset, 0x4C45_7F), "no \"PE\\0\\0\" signature at the offset its MS-DOS header gives (128), so it is not a PE image" },
            { "97 sections", TestPe.With(stub, sectionCount, 97, 2), "it declares 97 sections, more than 96" },
            { "optional header past the end", TestPe.With(stub, TestPe.PeOffset + PeImage.Coff.SizeOfOptionalHeader, 0xFFFF, 2), $"its optional header (65535 bytes at offset {optional}) is too short or ends past the end of the file ({length} bytes)" },
            { "bad magic", TestPe.With(stub, optional, 0x10C, 2), "its optional header's magic is 0x10c, neither PE32 (0x10b) nor PE32+ (0x20b)" },
            { "file alignment", TestPe.With(stub, optional + PeImage.Optional.FileAlignment, 300), "its FileAlignment 300 is not a power of 2 from 512 to 64 KiB" },
            { "section alignment", TestPe.With(stub, optional + PeImage.Optional.SectionAlignment, 256), "its SectionAlignment 256 is not a power of 2 at least its FileAlignment 512" },
            { "table past the headers", TestPe.With(stub, sectionCount, 20, 2), $"its SizeOfHeaders 1024 ends before its section table does ({table + (20 * 40)})" },
            { "table past the end", TestPe.With(stub, sectionCount, 96, 2)[..2048], $"its section table (96 entries at offset {table}) ends past the end of the file (2048 bytes)" },
            { "section past the end", TestPe.With(stub, table + (2 * 40) + PeImage.Section.SizeOfRawData, 0x10_0000), $"section 3 ('.reloc') has 1048576 bytes at offset {length - 512}, past the end of the file ({length} bytes)" },
            { "signed", TestPe.With(TestPe.With(stub, security, 4096), security + 4, 8), "it is already signed (a certificate table of 8 bytes at offset 4096); add sections to the unsigned stub, then sign the result" },
            { "unaligned section", TestPe.With(stub, table + PeImage.Section.PointerToRawData, 0x401), "section 1 ('.text') has 3072 bytes at offset 1025, not aligned to its FileAlignment 512" },
            { "no room for a header", TestPe.Stub(sizeOfHeaders: 0x200), "its headers (SizeOfHeaders 512, 512 aligned) have no room for a section header for '.osrel' after its 3 sections" },
            { "no sections", TestPe.With(stub, sectionCount, 0, 2), "it has no sections, so it is no systemd-stub" },
            { "symbol table inside .reloc", TestPe.With(TestPe.With(stub, TestPe.PeOffset + PeImage.Coff.PointerToSymbolTable, (uint)(length - 512)), length - 512, 512), $"its COFF symbol table starts at offset {length - 512}, before the end of its headers and section data ({length})" },
            { "symbol table inside .sbat", TestPe.With(TestPe.With(stub, TestPe.PeOffset + PeImage.Coff.PointerToSymbolTable, 0x1000), 0x1000, (uint)(length - 0x1000)), $"its COFF symbol table starts at offset 4096, before the end of its headers and section data ({length})" },
            { "symbol table inside the headers", TestPe.With(TestPe.With(stub, TestPe.PeOffset + PeImage.Coff.PointerToSymbolTable, 0x300), 0x300, (uint)(length - 0x300)), $"its COFF symbol table starts at offset 768, before the end of its headers and section data ({length})" },
            { "section alignment below a page", TestPe.With(stub, optional + PeImage.Optional.SectionAlignment, 1024), "its SectionAlignment 1024 is below the page size (4096) but not its FileAlignment 512" },
            { "2 GiB section alignment", TestPe.With(stub, optional + PeImage.Optional.SectionAlignment, 0x8000_0000), "section '.osrel' (24 bytes) would end past what a PE image can address" },
            { "headers past the end", TestPe.Create([(".text", [])], sizeOfHeaders: 0x1000)[..0x800], "its SizeOfHeaders 4096 ends past the end of the file (2048 bytes)" },
        };
    }

    [Fact]
    public void A_section_alignment_that_rounds_the_image_size_past_4_GiB_is_refused()
    {
        var stub = TestPe.With(TestPe.Stub(), TestPe.OptionalOffset + PeImage.Optional.SectionAlignment, 0x8000_0000);

        var e = Assert.Throws<PeFormatException>(() => UkiAssembler.AddSections(stub, "stub.efi", [new UkiSection(".linux", TestPe.Kernel())]));

        Assert.Equal($"PE image 'stub.efi': section '.linux' ({TestPe.Kernel().Length} bytes) would end past what a PE image can address.", e.Message);
    }

    [Fact]
    public void A_replaced_section_that_would_round_the_image_size_past_4_GiB_is_refused()
    {
        var stub = TestPe.With(TestPe.Stub(), TestPe.TableOffset + (2 * 40) + PeImage.Section.VirtualAddress, 0xFFFF_F000);

        var e = Assert.Throws<PeFormatException>(() => UkiAssembler.AddSections(stub, "stub.efi", [new UkiSection(".reloc", new byte[0x200])]));

        Assert.Equal("PE image 'stub.efi': its section '.reloc' would end past what a PE image can address.", e.Message);
    }

    [Theory]
    [MemberData(nameof(HostileStubs))]
    public void A_hostile_stub_is_refused_with_one_line_naming_it(string why, byte[] stub, string problem)
    {
        _ = why;
        var e = Assert.Throws<PeFormatException>(() => UkiAssembler.Build(Contents(stub: stub)));

        Assert.Equal($"PE image 'stub.efi': {problem}.", e.Message);
    }

    [Fact]
    public void A_stub_sbat_without_room_for_the_merged_lines_is_refused()
    {
        var kernel = TestPe.Create([(".text", TestPe.Filler(100, 3)), (".sbat", Encoding.ASCII.GetBytes(TestPe.Sbat(new string('k', 600))))]);

        var e = Assert.Throws<PeFormatException>(() => UkiAssembler.Build(Contents(kernel: kernel)));

        Assert.Equal("PE image 'stub.efi': its section '.sbat' has room for 512 bytes, fewer than the 829 to put in it.", e.Message);
    }

    [Fact]
    public void A_kernel_that_is_no_PE_image_is_refused_naming_it()
    {
        var e = Assert.Throws<PeFormatException>(() => UkiAssembler.Build(Contents(kernel: [0x1F, 0x8B, 8, 0, 0, 0])));

        Assert.Equal("PE image 'vmlinuz': the kernel is not a PE image (an EFI-stub kernel, such as a Debian vmlinuz, is; a compressed one must be unpacked first).", e.Message);
    }

    [Fact]
    public void Mutated_stubs_give_a_UKI_or_our_error_and_nothing_else()
    {
        var stub = TestPe.Stub();
        var random = new Random(1717);
        for (var i = 0; i < 3000; i++)
        {
            var mutated = (byte[])stub.Clone();
            for (var n = random.Next(1, 4); n > 0; n--)
            {
                mutated[random.Next(0, 0x400)] = (byte)random.Next(256);
            }

            var cut = random.Next(4) == 0 ? mutated[..random.Next(mutated.Length)] : mutated;
            try
            {
                PeImage.Read(UkiAssembler.Build(Contents(stub: cut)), "uki.efi");
            }
            catch (PeFormatException)
            {
            }
        }
    }

    /// <summary>
    /// ukify 262 (the sid chroot) and we, given the same stub, kernel, initrds, os-release, command line
    /// and uname, write the same bytes: systemd 262's own stub and, when installed, Debian 12's (252).
    /// </summary>
    [Theory]
    [InlineData("/usr/lib/systemd/boot/efi/linuxx64.efi.stub", true)]
    [InlineData("/usr/lib/systemd/boot/efi/linuxx64.efi.stub", false)]
    public void Ukify_262_writes_the_same_bytes(string stubPath, bool stubOf262)
    {
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        var stub = stubOf262 ? Path.Combine(oracle.Root, stubPath.TrimStart('/')) : stubPath;
        TestEnvironment.RequireFile(stub, "apt-get install systemd-boot-efi");
        var work = Path.Combine(oracle.Root, "tmp", "image-update-ukify-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var contents = Contents(stub: File.ReadAllBytes(stub), initrds: [TestPe.Filler(70001, 8), TestPe.Filler(3, 9)]) with { StubSource = stub };
            File.WriteAllBytes(Path.Combine(work, "stub"), contents.Stub.ToArray());
            File.WriteAllBytes(Path.Combine(work, "vmlinuz"), contents.Linux.ToArray());
            File.WriteAllBytes(Path.Combine(work, "initrd1"), contents.Initrds[0].ToArray());
            File.WriteAllBytes(Path.Combine(work, "initrd2"), contents.Initrds[1].ToArray());
            File.WriteAllBytes(Path.Combine(work, "os-release"), contents.OsRelease!.Value.ToArray());
            var inside = "/" + Path.GetRelativePath(oracle.Root, work);
            var made = TestProcess.Run("chroot", [oracle.Root, "ukify", "build", $"--stub={inside}/stub", $"--linux={inside}/vmlinuz", $"--initrd={inside}/initrd1", $"--initrd={inside}/initrd2",
                $"--os-release=@{inside}/os-release", $"--cmdline={contents.CommandLine}", $"--uname={contents.Uname}", $"--output={inside}/uki.efi"]);
            Assert.True(made.ExitCode == 0, made.ToString());

            var ours = UkiAssembler.Build(contents);

            var theirs = File.ReadAllBytes(Path.Combine(work, "uki.efi"));
            Assert.Equal(theirs.Length, ours.Length);
            var first = ours.AsSpan().CommonPrefixLength(theirs);
            Assert.True(first == ours.Length, $"ours and ukify's UKI differ first at byte {first}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static uint RoundUp(long value, uint alignment) => (uint)((value + alignment - 1) / alignment * alignment);
}
