using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Update.Imaging;
using ImageUpdate.Update.Verity;

namespace ImageUpdate.Tests.Update.Verity;

public sealed class VerityTrustTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly string _certificate;

    public VerityTrustTests()
    {
        (_, _, _certificate) = VerityPayloads.Keys(_root);
        Directory.CreateDirectory(_root["etc/verity.d"]);
        Directory.CreateDirectory(_root["usr/lib/verity.d"]);
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Certificates_masks_and_unreadable_files_are_read_as_systemd_reads_verity_d()
    {
        File.Copy(_certificate, _root["usr/lib/verity.d/a.crt"]);
        File.Copy(_certificate, _root["usr/lib/verity.d/b.crt"]);
        File.CreateSymbolicLink(_root["etc/verity.d/b.crt"], "/dev/null");
        File.WriteAllText(_root["etc/verity.d/c.crt"], "not a certificate\n");
        var logger = new ListLogger();

        var trust = VerityTrust.Load(_root.Path, logger);

        Assert.Single(trust.Certificates);
        Assert.Equal([$"Ignoring verity certificate '{_root["etc/verity.d/c.crt"]}': '{_root["etc/verity.d/c.crt"]}' holds no PEM X.509 certificate."], logger.Messages);
    }

    [Theory]
    [InlineData("/nonexistent/a.crt")]
    [InlineData("loop.crt")]
    public void A_link_that_leads_to_no_file_is_refused_with_one_line_naming_it(string target)
    {
        File.CreateSymbolicLink(_root["etc/verity.d/loop.crt"], target == "loop.crt" ? _root["etc/verity.d/loop.crt"] : target);

        var error = Assert.Throws<ConfigurationException>(() => VerityTrust.Load(_root.Path, new ListLogger()));

        var shown = target == "loop.crt" ? _root["etc/verity.d/loop.crt"] : target;
        Assert.Equal($"Verity certificate '{_root["etc/verity.d/loop.crt"]}' is a symbolic link to '{shown}', which is no file: remove it, or mask it with a link to /dev/null, refusing.", error.Message);
    }

    [Fact]
    public void A_link_to_a_certificate_is_trusted()
    {
        File.Copy(_certificate, _root["cert.pem"]);
        File.CreateSymbolicLink(_root["etc/verity.d/a.crt"], "../../cert.pem");

        Assert.Single(VerityTrust.Load(_root.Path, new ListLogger()).Certificates);
    }

    [Fact]
    public void An_absolute_link_resolves_under_the_root_not_on_the_host()
    {
        // <root>/etc/verity.d/a.crt -> /usr/lib/verity.d/a.crt: the image's file, which the host lacks.
        File.Copy(_certificate, _root["usr/lib/verity.d/a.crt"]);
        File.CreateSymbolicLink(_root["etc/verity.d/a.crt"], "/usr/lib/verity.d/a.crt");
        File.WriteAllText(_root["usr/lib/verity.d/b.crt"], "");
        File.CreateSymbolicLink(_root["etc/verity.d/b.crt"], "/usr/lib/verity.d/b.crt");

        var trust = VerityTrust.Load(_root.Path, new ListLogger());

        Assert.Single(trust.Certificates);
    }

    [Fact]
    public void An_absolute_link_to_a_host_file_missing_under_the_root_is_refused()
    {
        // The host has the target (this certificate), the root does not: the host's file is not trusted.
        File.Copy(_certificate, _root["cert.pem"]);
        File.CreateSymbolicLink(_root["etc/verity.d/a.crt"], _root["cert.pem"]);

        var error = Assert.Throws<ConfigurationException>(() => VerityTrust.Load(_root.Path, new ListLogger()));

        Assert.Equal($"Verity certificate '{_root["etc/verity.d/a.crt"]}' is a symbolic link to '{_root["cert.pem"]}', which is no file: remove it, or mask it with a link to /dev/null, refusing.", error.Message);
    }

    [Fact]
    public void A_linked_directory_resolves_under_the_root()
    {
        Directory.Delete(_root["etc/verity.d"]);
        Directory.CreateDirectory(_root["srv/verity"]);
        File.Copy(_certificate, _root["srv/verity/a.crt"]);
        Directory.CreateSymbolicLink(_root["etc/verity.d"], "/srv/verity");

        Assert.Single(VerityTrust.Load(_root.Path, new ListLogger()).Certificates);
    }
}
