using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Collector.Tests.Alerts;

/// <summary>One scripted answer of the receiver; <paramref name="Delay"/> holds the answer back (for timeouts).</summary>
internal sealed record HookReply(int Status, string? Body = null, string? RetryAfter = null, TimeSpan Delay = default)
{
    public static HookReply Ok { get; } = new(200);
}

/// <summary>A request as the receiver got it: the exact body bytes and the headers.</summary>
internal sealed record HookRequest(string Path, byte[] Body, IReadOnlyDictionary<string, string> Headers, int AnsweredStatus)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A webhook receiver on an in-process Kestrel (127.0.0.1, ephemeral port): every path answers its scripted
/// replies in order, then <see cref="Otherwise"/>. Requests are listed before they are answered.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<HookReply>> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<HookRequest> _requests = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>The answer once a path's script is used up (200 by default).</summary>
    public Func<string, HookReply> Otherwise { get; set; } = _ => HookReply.Ok;

    public IReadOnlyList<HookRequest> Requests => [.. _requests];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(receiver.AnswerAsync);
        await app.StartAsync();
        return receiver;
    }

    public string Url(string path = "/hook") =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + path;

    public void Script(string path, params HookReply[] replies) => _scripts[path] = new ConcurrentQueue<HookReply>(replies);

    public IReadOnlyList<HookRequest> RequestsTo(string path) => [.. Requests.Where(r => r.Path == path)];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var path = context.Request.Path.Value ?? "/";
        var reply = _scripts.TryGetValue(path, out var script) && script.TryDequeue(out var next) ? next : Otherwise(path);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new HookRequest(path, body.ToArray(), headers, reply.Status));
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the collector gave up waiting
            }
        }

        context.Response.StatusCode = reply.Status;
        if (reply.RetryAfter is not null)
        {
            context.Response.Headers.RetryAfter = reply.RetryAfter;
        }

        if (reply.Body is not null)
        {
            await context.Response.WriteAsync(reply.Body, context.RequestAborted);
        }
    }
}
