using ImageUpdate.Formats.Verity;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Verity;

/// <summary>Keys and self-signed certificates made with openssl for a test (RSA 2048 or EC P-256), as a product would make them for repart.</summary>
internal static class VerityTestKeys
{
    public static (string Key, string Certificate) Create(TempDirectory temp, string name, bool ec = false)
    {
        TestEnvironment.RequireTools("apt-get install openssl", "openssl");
        var key = temp[$"{name}.key"];
        var certificate = temp[$"{name}.crt"];
        TestProcess.RunChecked("openssl", [
            "req", "-x509", "-newkey", ec ? "ec" : "rsa:2048", .. ec ? new[] { "-pkeyopt", "ec_paramgen_curve:P-256" } : [],
            "-nodes", "-keyout", key, "-out", certificate, "-subj", $"/CN={name}", "-days", "3650"]);
        return (key, certificate);
    }

    public static VeritySigningKey Load((string Key, string Certificate) files) =>
        VeritySigningKey.FromPem(File.ReadAllText(files.Key), files.Key, File.ReadAllText(files.Certificate), files.Certificate);
}
