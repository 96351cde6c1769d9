using System.Text;
using ImageUpdate.Formats.Verification;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>
/// Subdirectory entries of a SHA256SUMS manifest (systemd 262): which patterns find them, and the URL
/// each is fetched from. The end-to-end comparison with the real 262 is in
/// Differential/SubpathManifestDifferentialTests.
/// </summary>
public sealed class ManifestSourceTests
{
    private const string Hash = "8bb0cf6eb9b17d0f7d22b456f121257dc1254e1f01665370476383ea776df414";

    [Theory]
    // '**/' matches the base name at any depth, top level included.
    [InlineData("**/blob-@v.bin", "sub/blob-v10.bin a/b/c/blob-v11.bin blob-v12.bin other/x-v13.bin", "v10 v11 v12")]
    // A literal subdirectory matches only there.
    [InlineData("sub/blob-@v.bin", "sub/blob-v10.bin a/sub/blob-v11.bin blob-v12.bin", "v10")]
    // A plain pattern matches only top-level entries.
    [InlineData("blob-@v.bin", "sub/blob-v10.bin blob-v12.bin", "v12")]
    [InlineData("blob-@v/image.raw", "blob-v1/image.raw blob-v2/image.raw/ blob-v3/x/image.raw", "v1")]
    public async Task Patterns_find_subdirectory_entries_as_systemd_262_does(string pattern, string names, string versions)
    {
        var manifest = Manifest(names.Split(' '));
        var source = new ManifestSource(
            new SourceDefinition(ResourceType.UrlFile, "https://example.org/d", PathRelativeTo.Root, PatternList.Parse([pattern])),
            _ => Task.FromResult(manifest),
            (_, _) => throw new InvalidOperationException("nothing is opened"),
            name => RemoteManifests.Entry("https://example.org/d", name).ToString());

        var inventory = await source.LoadAsync(CancellationToken.None);

        Assert.Equal(versions.Split(' ').Order(StringComparer.Ordinal), inventory.Instances.Select(i => i.Version).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("https://example.org/d", "blob-v1.bin", "https://example.org/d/blob-v1.bin")]
    [InlineData("https://example.org/d/", "sub/blob-v1.bin", "https://example.org/d/sub/blob-v1.bin")]
    [InlineData("file:///srv/d", "a/b/blob v1.bin", "file:///srv/d/a/b/blob%20v1.bin")]
    [InlineData("https://example.org/d", "sub/blob#v1?.bin", "https://example.org/d/sub/blob%23v1%3F.bin")]
    public void A_subpath_entry_is_fetched_from_the_same_subpath_of_the_source(string baseUrl, string name, string url) =>
        Assert.Equal(url, RemoteManifests.Entry(baseUrl, name).AbsoluteUri);

    private static Sha256Manifest Manifest(IEnumerable<string> names) =>
        Sha256Manifest.Parse(Encoding.UTF8.GetBytes(string.Concat(names.Select(n => $"{Hash}  {n}\n"))), "SHA256SUMS");
}
