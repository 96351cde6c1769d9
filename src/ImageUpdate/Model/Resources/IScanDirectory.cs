namespace ImageUpdate.Model.Resources;

/// <summary>One directory of a tree the <see cref="DirectoryScanner"/> matches instances in.</summary>
public interface IScanDirectory
{
    IEnumerable<ScanEntry> Entries();
}
