namespace ImageUpdate.Platform.FileSystem;

/// <summary>The file type bits of st_mode (S_IFMT), as lstat reports them.</summary>
public enum FileKind
{
    Unknown,
    Regular,
    Directory,
    SymbolicLink,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,
}
