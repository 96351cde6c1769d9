using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ImageUpdate.Platform.Varlink;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Platform.Varlink;

/// <summary>
/// The Varlink wire protocol: NUL-framed messages, the size bound, garbage and hang-ups, and a
/// server's answers to org.varlink.service and to calls it cannot take, over a real unix socket.
/// </summary>
public sealed class VarlinkProtocolTests : IDisposable
{
    private readonly Support.TempDirectory _dir = new("varlink");

    public void Dispose() => _dir.Dispose();

    /// <summary>A stream that hands out its bytes one at a time, as a slow peer would.</summary>
    private sealed class Trickle(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }

    private static async Task<List<string?>> ReadAll(Stream stream, int max = VarlinkLimits.MaxMessageBytes)
    {
        var reader = new VarlinkMessageReader(stream, max);
        var messages = new List<string?>();
        while (await reader.ReadAsync(CancellationToken.None) is { } m)
        {
            messages.Add(Encoding.UTF8.GetString(m.Span));
        }

        return messages;
    }

    [Fact]
    public async Task Messages_are_split_at_each_NUL_whether_they_arrive_together_or_byte_by_byte()
    {
        var bytes = "{\"a\":1}\0{}\0{\"b\":\"x\"}\0"u8.ToArray();
        Assert.Equal(["{\"a\":1}", "{}", "{\"b\":\"x\"}"], await ReadAll(new MemoryStream(bytes)));
        Assert.Equal(["{\"a\":1}", "{}", "{\"b\":\"x\"}"], await ReadAll(new Trickle(bytes)));
    }

    [Fact]
    public async Task A_message_over_the_bound_is_refused_without_waiting_for_its_NUL()
    {
        var bytes = Encoding.ASCII.GetBytes(new string('x', 101) + "\0");
        var e = await Assert.ThrowsAsync<VarlinkException>(() => ReadAll(new MemoryStream(bytes), max: 100));
        Assert.Equal("Varlink message exceeds 100 bytes without its terminating NUL.", e.Message);

        // Exactly at the bound is fine.
        Assert.Single(await ReadAll(new MemoryStream(Encoding.ASCII.GetBytes(new string('x', 100) + "\0")), max: 100));
    }

    [Fact]
    public async Task A_hang_up_inside_a_message_is_an_error_and_between_messages_the_end()
    {
        var e = await Assert.ThrowsAsync<VarlinkException>(() => ReadAll(new MemoryStream("{}\0{\"meth"u8.ToArray())));
        Assert.Equal("Varlink peer hung up inside a message (6 bytes without the terminating NUL).", e.Message);
        Assert.Equal(["{}"], await ReadAll(new MemoryStream("{}\0"u8.ToArray())));
        Assert.Empty(await ReadAll(new MemoryStream([])));
    }

    [Theory]
    [InlineData("garbage", "Varlink message is not valid JSON")]
    [InlineData("[1,2]", "Varlink message is not a JSON object: '[1,2]'")]
    [InlineData("{\"parameters\":{}}", "Varlink message names no method: '{\"parameters\":{}}'")]
    [InlineData("{\"method\":5}", "Varlink message has a 'method' of the wrong type: '{\"method\":5}'")]
    [InlineData("{\"method\":\"a.B\",\"oneway\":\"yes\"}", "Varlink message has a 'oneway' of the wrong type")]
    [InlineData("{\"method\":\"a.B\",\"parameters\":[]}", "Varlink message has a 'parameters' of the wrong type")]
    public void Anything_but_a_call_is_refused_quoting_it(string message, string expected)
    {
        var e = Assert.Throws<VarlinkException>(() => VarlinkCall.Parse(Encoding.UTF8.GetBytes(message)));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_bytes_and_invalid_UTF8_in_a_refused_message_are_escaped()
    {
        var e = Assert.Throws<VarlinkException>(() => VarlinkCall.Parse("[\"\u001b[31m\"]"u8.ToArray().Concat(new byte[] { 0xff }).ToArray()));
        Assert.DoesNotContain('\u001b', e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("\\x1b", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_call_without_parameters_has_an_empty_object_and_its_flags()
    {
        var call = VarlinkCall.Parse("{\"method\":\"io.systemd.SysUpdate.ListTargets\",\"oneway\":true,\"future\":1}"u8);
        Assert.Equal("io.systemd.SysUpdate", call.Interface);
        Assert.Equal(JsonValueKind.Object, call.Parameters.ValueKind);
        Assert.Empty(call.Parameters.EnumerateObject());
        Assert.True(call.Oneway);
        Assert.False(call.More);
    }

    private sealed class Echo : IVarlinkInterface
    {
        public string Name => "org.example.Echo";

        public string Description => "interface org.example.Echo\n\nmethod Ping(text: string) -> (text: string)\n";

        public Task<Action<Utf8JsonWriter>?> CallAsync(string method, VarlinkCall call, VarlinkPeer peer, CancellationToken cancellationToken)
        {
            if (method != "Ping")
            {
                throw VarlinkServer.MethodNotFound(call.Method);
            }

            VarlinkServer.RequireOnly(call.Parameters, "text");
            var text = call.Parameters.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()!
                : throw VarlinkErrorException.InvalidParameter("text");
            Pings++;
            return Task.FromResult<Action<Utf8JsonWriter>?>(w => w.WriteString("text", text));
        }

        public int Pings { get; private set; }
    }

    private sealed record Served(Socket Client, Task Server, Echo Echo) : IDisposable
    {
        private VarlinkMessageReader? _reader;

        public void Dispose() => Client.Dispose();

        public async Task<string> RoundTrip(string message)
        {
            await Send(message);
            return await Receive();
        }

        public async Task Send(string message) => await Client.SendAsync(Encoding.UTF8.GetBytes(message + "\0"));

        public async Task<string> Receive()
        {
            _reader ??= new VarlinkMessageReader(new NetworkStream(Client, ownsSocket: false));
            var reply = await _reader.ReadAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            return reply is { } r ? Encoding.UTF8.GetString(r.Span) : "<hung up>";
        }
    }

    private async Task<Served> Serve()
    {
        var path = _dir["s"];
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        var accepted = await listener.AcceptAsync();
        listener.Dispose();
        var echo = new Echo();
        var server = new VarlinkServer(new VarlinkServerInfo("Vendor", "product", "1", "https://example.org/"), [echo], NullLogger.Instance);
        return new Served(client, server.ServeAsync(accepted, CancellationToken.None), echo);
    }

    [Fact]
    public async Task GetInfo_and_GetInterfaceDescription_answer_as_sd_varlink_does()
    {
        using var s = await Serve();
        Assert.Equal(
            "{\"parameters\":{\"vendor\":\"Vendor\",\"product\":\"product\",\"version\":\"1\",\"url\":\"https://example.org/\",\"interfaces\":[\"io.systemd\",\"org.example.Echo\",\"org.varlink.service\"]}}",
            await s.RoundTrip("{\"method\":\"org.varlink.service.GetInfo\"}"));
        Assert.Equal(
            "{\"parameters\":{\"description\":\"interface org.example.Echo\\n\\nmethod Ping(text: string) -> (text: string)\\n\"}}",
            await s.RoundTrip("{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{\"interface\":\"org.example.Echo\"}}"));
        Assert.Equal(
            "{\"error\":\"org.varlink.service.InterfaceNotFound\",\"parameters\":{\"interface\":\"org.example.Nope\"}}",
            await s.RoundTrip("{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{\"interface\":\"org.example.Nope\"}}"));
        Assert.Equal(
            "{\"error\":\"org.varlink.service.InvalidParameter\",\"parameters\":{\"parameter\":\"interface\"}}",
            await s.RoundTrip("{\"method\":\"org.varlink.service.GetInterfaceDescription\",\"parameters\":{}}"));
    }

    [Fact]
    public async Task Unknown_methods_interfaces_and_parameters_get_systemds_errors()
    {
        using var s = await Serve();
        Assert.Equal("{\"error\":\"org.varlink.service.MethodNotFound\",\"parameters\":{\"method\":\"org.example.Echo.Nope\"}}", await s.RoundTrip("{\"method\":\"org.example.Echo.Nope\"}"));
        Assert.Equal("{\"error\":\"org.varlink.service.MethodNotFound\",\"parameters\":{\"method\":\"org.example.Other.Ping\"}}", await s.RoundTrip("{\"method\":\"org.example.Other.Ping\"}"));
        Assert.Equal("{\"error\":\"org.varlink.service.InvalidParameter\",\"parameters\":{\"parameter\":\"extra\"}}", await s.RoundTrip("{\"method\":\"org.example.Echo.Ping\",\"parameters\":{\"text\":\"a\",\"extra\":1}}"));
        Assert.Equal("{\"parameters\":{\"text\":\"\\u001B\"}}", await s.RoundTrip("{\"method\":\"org.example.Echo.Ping\",\"parameters\":{\"text\":\"\\u001b\"}}"));
    }

    [Fact]
    public async Task A_oneway_call_runs_without_a_reply_and_pipelined_calls_are_answered_in_order()
    {
        using var s = await Serve();
        await s.Send("{\"method\":\"org.example.Echo.Ping\",\"parameters\":{\"text\":\"quiet\"},\"oneway\":true}");
        await s.Send("{\"method\":\"org.example.Echo.Ping\",\"parameters\":{\"text\":\"1\"}}");
        await s.Send("{\"method\":\"org.example.Echo.Ping\",\"parameters\":{\"text\":\"2\"}}");
        Assert.Equal("{\"parameters\":{\"text\":\"1\"}}", await s.Receive());
        Assert.Equal("{\"parameters\":{\"text\":\"2\"}}", await s.Receive());
        Assert.Equal(3, s.Echo.Pings);
    }

    [Fact]
    public async Task Garbage_ends_the_connection_without_an_answer()
    {
        using var s = await Serve();
        Assert.Equal("<hung up>", await s.RoundTrip("garbage"));
        await s.Server.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("{\"method\":\"\\ud800\"}")]
    [InlineData("{\"\\udc00\":1,\"method\":\"org.example.Echo.Ping\"}")]
    public async Task A_lone_surrogate_ends_the_connection_with_one_line_not_the_service(string message)
    {
        var e = Assert.Throws<VarlinkException>(() => VarlinkCall.Parse(Encoding.UTF8.GetBytes(message)));
        Assert.StartsWith("Varlink message holds a string that is not valid UTF-16", e.Message, StringComparison.Ordinal);

        using var s = await Serve();
        Assert.Equal("<hung up>", await s.RoundTrip(message));
        await s.Server.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, s.Echo.Pings);
    }

    [Fact]
    public async Task A_socket_path_longer_than_sockaddr_un_is_one_error_line()
    {
        var path = "/run/" + new string('n', 200);
        var e = await Assert.ThrowsAsync<VarlinkException>(() => VarlinkConnection.ConnectAsync(path, TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.StartsWith($"Failed to connect to Varlink socket '{path}': ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_never_finishes_a_call_is_dropped_after_the_idle_timeout()
    {
        var path = _dir["idle"];
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        var server = new VarlinkServer(new VarlinkServerInfo("V", "p", "1", ""), [new Echo()], NullLogger.Instance) { IdleTimeout = TimeSpan.FromMilliseconds(300) };
        var serving = server.ServeAsync(await listener.AcceptAsync(), CancellationToken.None);
        await client.SendAsync("{\"method\":\"org.exa"u8.ToArray());

        await serving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await client.ReceiveAsync(new byte[16]));
    }

    [Fact]
    public async Task A_client_that_hangs_up_mid_message_ends_only_its_connection()
    {
        using var s = await Serve();
        await s.Client.SendAsync("{\"method\":\"org.exa"u8.ToArray());
        s.Client.Shutdown(SocketShutdown.Send);
        await s.Server.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, s.Echo.Pings);
    }

    [Fact]
    public async Task A_client_call_gets_the_reply_or_the_error_as_an_exception()
    {
        using var s = await Serve();
        s.Client.Dispose();
        var path = _dir["c"];
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var server = new VarlinkServer(new VarlinkServerInfo("V", "p", "1", ""), [new Echo()], NullLogger.Instance);
        var serving = Task.Run(async () => await server.ServeConnectionAsync(new VarlinkConnection(await listener.AcceptAsync()), CancellationToken.None));
        await using var connection = await VarlinkConnection.ConnectAsync(path, TimeSpan.FromSeconds(10), CancellationToken.None);
        var reply = await connection.CallAsync("org.example.Echo.Ping", w => w.WriteString("text", "hi"), CancellationToken.None);
        Assert.Equal("hi", reply.Parameters.GetProperty("text").GetString());
        var error = await Assert.ThrowsAsync<VarlinkErrorException>(() => connection.CallAsync("org.example.Echo.Ping", null, CancellationToken.None));
        Assert.Equal("org.varlink.service.InvalidParameter", error.Error);
    }

    [Fact]
    public async Task Connecting_to_a_socket_nobody_listens_on_is_one_error_line()
    {
        var e = await Assert.ThrowsAsync<VarlinkException>(() => VarlinkConnection.ConnectAsync(_dir["none"], TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.StartsWith($"Failed to connect to Varlink socket '{_dir["none"]}': ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Socket_activation_wants_exactly_one_fd_named_varlink_for_this_process()
    {
        Assert.True(SocketActivation.IsVarlinkInvocation("42", "1", "varlink", 42));
        Assert.False(SocketActivation.IsVarlinkInvocation("43", "1", "varlink", 42));
        Assert.False(SocketActivation.IsVarlinkInvocation("42", "2", "varlink:varlink", 42));
        Assert.False(SocketActivation.IsVarlinkInvocation("42", "1", null, 42));
        Assert.False(SocketActivation.IsVarlinkInvocation(null, null, null, 42));
    }
}
