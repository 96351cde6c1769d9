namespace ImageUpdate.Tests.Formats.Verification;

/// <summary>Shares one <see cref="GpgFixture"/> between the test classes that need gpg-made keys.</summary>
[CollectionDefinition(Name)]
public sealed class GpgCollection : ICollectionFixture<GpgFixture>
{
    public const string Name = "gpg";
}
