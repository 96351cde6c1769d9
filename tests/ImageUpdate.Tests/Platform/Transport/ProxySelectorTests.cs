using System.Net;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Transport;

namespace ImageUpdate.Tests.Platform.Transport;

public sealed class ProxySelectorTests
{
    private static ProxySelector Selector(params (string Name, string Value)[] variables) =>
        new(variables.ToDictionary(v => v.Name, v => v.Value));

    [Theory]
    [InlineData("https://updates.example.com/SHA256SUMS", "http://secure-proxy:3128/")]
    [InlineData("http://updates.example.com/SHA256SUMS", "http://plain-proxy:8080/")]
    public void Each_scheme_takes_its_own_variable(string url, string expected)
    {
        var selector = Selector(("https_proxy", "http://secure-proxy:3128"), ("http_proxy", "http://plain-proxy:8080"));

        Assert.Equal(new Uri(expected), selector.Select(new Uri(url)));
    }

    [Theory]
    [InlineData("https://updates.example.com/")]
    [InlineData("http://updates.example.com/")]
    public void ALL_PROXY_serves_both_schemes_when_their_own_variable_is_unset(string url)
    {
        var selector = Selector(("ALL_PROXY", "socks5h://127.0.0.1:9050"));

        Assert.Equal(new Uri("socks5://127.0.0.1:9050/"), selector.Select(new Uri(url)));
    }

    [Fact]
    public void The_scheme_specific_variable_wins_over_all_proxy()
    {
        var selector = Selector(("all_proxy", "socks5://tor:9050"), ("https_proxy", "http://squid:3128"));

        Assert.Equal(new Uri("http://squid:3128/"), selector.Select(new Uri("https://example.com/")));
        Assert.Equal(new Uri("socks5://tor:9050/"), selector.Select(new Uri("http://example.com/")));
    }

    [Theory]
    [InlineData("https_proxy", "HTTPS_PROXY", "https://example.com/")]
    [InlineData("http_proxy", "HTTP_PROXY", "http://example.com/")]
    [InlineData("all_proxy", "ALL_PROXY", "https://example.com/")]
    public void Lower_case_wins_over_upper_case(string lower, string upper, string url)
    {
        var selector = Selector((upper, "http://upper:1"), (lower, "http://lower:2"));

        Assert.Equal(new Uri("http://lower:2/"), selector.Select(new Uri(url)));
    }

    [Theory]
    [InlineData("HTTPS_PROXY", "https://example.com/")]
    [InlineData("HTTP_PROXY", "http://example.com/")]
    [InlineData("ALL_PROXY", "http://example.com/")]
    public void Upper_case_alone_is_used(string upper, string url)
    {
        Assert.Equal(new Uri("http://upper:1/"), Selector((upper, "http://upper:1")).Select(new Uri(url)));
    }

    [Fact]
    public void An_empty_variable_counts_as_unset()
    {
        var selector = Selector(("https_proxy", " "), ("HTTPS_PROXY", "http://upper:1"), ("http_proxy", ""));

        Assert.Equal(new Uri("http://upper:1/"), selector.Select(new Uri("https://example.com/")));
        Assert.Null(selector.Select(new Uri("http://example.com/")));
    }

    [Fact]
    public void File_urls_and_an_empty_environment_go_direct()
    {
        Assert.Null(Selector(("all_proxy", "socks5://tor:9050")).Select(new Uri("file:///srv/updates/SHA256SUMS")));
        Assert.Null(Selector().Select(new Uri("https://example.com/")));
    }

    [Theory]
    [InlineData("example.com", "https://example.com/", true)]
    [InlineData("example.com", "https://a.b.example.com/", true)]
    [InlineData(".example.com", "https://example.com/", true)]
    [InlineData(".example.com", "https://a.example.com/", true)]
    [InlineData("*.example.com", "https://a.example.com/", true)]
    [InlineData("example.com", "https://badexample.com/", false)]
    [InlineData("example.com", "https://example.com.evil.net/", false)]
    [InlineData("EXAMPLE.com.", "https://Example.COM./", true)]
    [InlineData("*", "https://anything.example/", true)]
    [InlineData("other.org,*", "https://anything.example/", true)]
    [InlineData("localhost, example.org", "https://example.org/", true)]
    [InlineData("localhost example.org", "https://example.org/", true)]
    [InlineData("localhost,,example.org", "https://example.net/", false)]
    [InlineData("example.com:8443", "https://example.com:8443/", true)]
    [InlineData("example.com:8443", "https://example.com/", false)]
    [InlineData("example.com:443", "https://example.com/", true)]
    [InlineData("192.168.1.7", "http://192.168.1.7/", true)]
    [InlineData("192.168.1.7", "http://192.168.1.8/", false)]
    [InlineData("10.0.0.0/8", "http://10.200.3.4/", true)]
    [InlineData("10.1.2.3/8", "http://10.200.3.4/", true)]
    [InlineData("10.0.0.0/8", "http://11.0.0.1/", false)]
    [InlineData("10.0.0.0/8", "http://ten.example/", false)]
    [InlineData("127.0.0.1:8080", "http://127.0.0.1:8080/", true)]
    [InlineData("127.0.0.1:8080", "http://127.0.0.1:8081/", false)]
    [InlineData("::1", "http://[::1]/", true)]
    [InlineData("[::1]:8080", "http://[::1]:8080/", true)]
    [InlineData("[::1]:8080", "http://[::1]:9090/", false)]
    [InlineData("fd00::/8", "http://[fd12::1]/", true)]
    [InlineData("fd00::/8", "http://[fe80::1]/", false)]
    [InlineData("10", "http://10.0.0.1/", false)]
    public void No_proxy_patterns_decide_who_goes_direct(string noProxy, string url, bool direct)
    {
        var selector = Selector(("all_proxy", "http://proxy:3128"), ("no_proxy", noProxy));

        Assert.Equal(direct, selector.Select(new Uri(url)) is null);
        Assert.Equal(direct, ((IWebProxy)selector).IsBypassed(new Uri(url)));
    }

    [Fact]
    public void Upper_case_NO_PROXY_is_read_when_no_proxy_is_unset()
    {
        var selector = Selector(("https_proxy", "http://proxy:3128"), ("NO_PROXY", "internal.example"));

        Assert.Null(selector.Select(new Uri("https://mirror.internal.example/")));
        Assert.NotNull(selector.Select(new Uri("https://example.com/")));
    }

    [Theory]
    [InlineData("proxy.example:3128", "http://proxy.example:3128/")]
    [InlineData("http://proxy.example", "http://proxy.example:1080/")]
    [InlineData("https://proxy.example", "https://proxy.example:443/")]
    [InlineData("HTTP://Proxy.Example:8080/", "http://proxy.example:8080/")]
    [InlineData("socks5h://127.0.0.1:9050", "socks5://127.0.0.1:9050/")]
    [InlineData("socks5://127.0.0.1:9050", "socks5://127.0.0.1:9050/")]
    [InlineData("socks5h://localhost", "socks5://localhost:1080/")]
    [InlineData("socks4a://127.0.0.1:9050", "socks4a://127.0.0.1:9050/")]
    [InlineData("socks://127.0.0.1:1080", "socks4://127.0.0.1:1080/")]
    [InlineData("http://[::1]:3128", "http://[::1]:3128/")]
    public void Proxy_urls_are_read_as_curl_reads_them(string value, string expected)
    {
        Assert.Equal(new Uri(expected), Selector(("https_proxy", value)).Select(new Uri("https://example.com/")));
    }

    [Fact]
    public void Credentials_in_the_proxy_url_are_offered_to_that_proxy_only()
    {
        var selector = Selector(("https_proxy", "http://alice:p%40ss@proxy:3128"), ("http_proxy", "socks5h://bob@tor:9050"));

        var proxy = selector.Select(new Uri("https://example.com/"))!;
        var socks = selector.Select(new Uri("http://example.com/"))!;

        Assert.Equal("", proxy.UserInfo);
        var credential = selector.Credentials!.GetCredential(proxy, "Basic")!;
        Assert.Equal(("alice", "p@ss"), (credential.UserName, credential.Password));
        Assert.Equal("bob", selector.Credentials.GetCredential(socks, "socks5")!.UserName);
        Assert.Null(selector.Credentials.GetCredential(new Uri("http://elsewhere:3128/"), "Basic"));
    }

    [Theory]
    [InlineData("https_proxy", "ftp://proxy:21", "'ftp' is not one of")]
    [InlineData("HTTP_PROXY", "gopher://proxy", "'gopher' is not one of")]
    [InlineData("ALL_PROXY", "http://", "does not name a proxy host")]
    [InlineData("all_proxy", "socks5h://:9050", "does not name a proxy host")]
    public void A_malformed_proxy_variable_is_refused_when_the_selector_is_made(string variable, string value, string fragment)
    {
        var error = Assert.Throws<ConfigurationException>(() => Selector((variable, value)));

        Assert.Contains(fragment, error.Message);
        Assert.Contains($"The {variable} environment variable", error.Message);
    }

    [Fact]
    public void A_refused_proxy_url_does_not_show_its_password()
    {
        var error = Assert.Throws<ConfigurationException>(() => Selector(("https_proxy", "ftp://alice:hunter2@proxy")));

        Assert.DoesNotContain("hunter2", error.Message);
    }
}
