namespace ImageUpdate.Tests.Support;

/// <summary>
/// The smallest OS tree the program updates: os-release with IMAGE_VERSION, and one regular-file
/// transfer (ROOT/usr/lib/sysupdate.d/10-app.transfer) from ROOT/srv/source to ROOT/srv/target, both
/// named `app_VERSION.bin` holding their version.
/// </summary>
public static class AppTree
{
    public static string Make(string root, string imageVersion, IEnumerable<string> installed, IEnumerable<string>? available = null, bool protectBooted = false, int? instancesMax = null)
    {
        foreach (var dir in new[] { "usr/lib/sysupdate.d", "etc", "srv/source", "srv/target" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        File.WriteAllText(Path.Combine(root, "etc/os-release"), $"ID=demo\nIMAGE_ID=demo\nIMAGE_VERSION={imageVersion}\n");
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/10-app.transfer"), $"""
            {(protectBooted ? "[Transfer]\nProtectVersion=%A\n" : "")}
            [Source]
            Type=regular-file
            Path=/srv/source
            MatchPattern=app_@v.bin

            [Target]
            Type=regular-file
            Path=/srv/target
            MatchPattern=app_@v.bin
            {(instancesMax is { } max ? $"InstancesMax={max}" : "")}
            """);
        foreach (var v in installed)
        {
            File.WriteAllText(Path.Combine(root, $"srv/target/app_{v}.bin"), v);
        }

        foreach (var v in available ?? [])
        {
            File.WriteAllText(Path.Combine(root, $"srv/source/app_{v}.bin"), v);
        }

        return root;
    }
}
