using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Tests.Infrastructure;

/// <summary>
/// An in-process Kestrel on 127.0.0.1 standing in for OpenRouter where WireMock cannot: streams written
/// chunk by chunk with flushes, pauses held by the test, connections dropped mid-body.
/// </summary>
public sealed class KestrelOpenRouter : IAsyncDisposable
{
    private readonly WebApplication _app;
    private Func<HttpContext, Task> _handler = static ctx => { ctx.Response.StatusCode = 404; return Task.CompletedTask; };

    private KestrelOpenRouter(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Request bodies as received, in order.</summary>
    public ConcurrentQueue<byte[]> RequestBodies { get; } = new();

    public ConcurrentQueue<IHeaderDictionary> RequestHeaders { get; } = new();

    public static async Task<KestrelOpenRouter> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new KestrelOpenRouter(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address + "/api/v1/");
        return server;
    }

    public void Handle(Func<HttpContext, Task> handler) => _handler = handler;

    /// <summary>Answers with an SSE stream written piece by piece; <paramref name="betweenPieces"/> runs before each piece after the first.</summary>
    public void Stream(IReadOnlyList<string> pieces, Func<int, Task>? betweenPieces = null) => Handle(async ctx =>
    {
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        for (var i = 0; i < pieces.Count; i++)
        {
            if (i > 0 && betweenPieces is not null)
            {
                await betweenPieces(i);
            }

            await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(pieces[i]), ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }
    });

    public async ValueTask DisposeAsync()
    {
        // A cancelled token stops at once: tests leave streams hanging on purpose.
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        RequestBodies.Enqueue(body.ToArray());
        RequestHeaders.Enqueue(new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value)));
        try
        {
            await _handler(context);
        }
        catch (OperationCanceledException)
        {
            // The client went away: expected in abort tests.
        }
    }
}
