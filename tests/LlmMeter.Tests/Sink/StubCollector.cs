using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmMeter.Tests.Sink;

/// <summary>
/// A stand-in for the collector's ingest endpoint on an in-process Kestrel (127.0.0.1, ephemeral port): keeps every
/// request, answers as the test says (200 with counts by default), and stores accepted records by id, as the real
/// collector does, so a resent batch is counted as duplicates.
/// </summary>
public sealed class StubCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, int> _stored = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _arrivals = new(0);
    private Func<Received, HttpContext, Task<bool>> _answer = static (_, _) => Task.FromResult(false);

    private StubCollector(WebApplication app, TimeProvider clock)
    {
        _app = app;
        _clock = clock;
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Ids stored (answered 200), with how many times each was sent in a 200-answered request.</summary>
    public IReadOnlyDictionary<string, int> Stored => _stored;

    /// <param name="clock">Stamps <see cref="Received.At"/>; a fake clock shows how long the sink waited.</param>
    /// <param name="port">The port to listen on; an ephemeral one when 0.</param>
    public static async Task<StubCollector> StartAsync(TimeProvider? clock = null, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new StubCollector(app, clock ?? TimeProvider.System);
        app.Run(stub.HandleAsync); // Any path: tests check where the sink posts.
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub.Address = new Uri(address);
        return stub;
    }

    /// <summary>
    /// Decides the answer to each request: return true after writing a response, false to answer 200 and store
    /// the records. The handler may also hang (await something) to play a stuck collector.
    /// </summary>
    public void Answer(Func<Received, HttpContext, Task<bool>> answer) => _answer = answer;

    /// <summary>Answers the first <paramref name="count"/> requests with <paramref name="status"/>, then 200.</summary>
    public void FailFirst(int count, int status, string? retryAfter = null) => Answer(async (request, ctx) =>
    {
        if (request.Index >= count)
        {
            return false;
        }

        if (retryAfter is not null)
        {
            ctx.Response.Headers.RetryAfter = retryAfter;
        }

        await Results.Problem(statusCode: status, title: "Try later", detail: "The store is busy.").ExecuteAsync(ctx);
        return true;
    });

    /// <summary>Stores <paramref name="records"/> as a 200 answer does; returns how many were already stored.</summary>
    public int Store(IEnumerable<LlmCallRecord> records)
    {
        var duplicates = 0;
        foreach (var record in records)
        {
            duplicates += _stored.AddOrUpdate(record.Id, 1, static (_, n) => n + 1) > 1 ? 1 : 0;
        }

        return duplicates;
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived (10 s at most, then fails).</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Requests.Count < count)
        {
            var left = limit - clock.Elapsed;
            Assert.True(left > TimeSpan.Zero, $"Expected {count} requests, got {Requests.Count}.");
            await _arrivals.WaitAsync(left);
        }
    }

    /// <summary>Waits until every id in <paramref name="ids"/> is stored (10 s at most, then fails).</summary>
    public async Task WaitForStoredAsync(IEnumerable<string> ids, TimeSpan? timeout = null)
    {
        var wanted = ids.ToList();
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!wanted.All(_stored.ContainsKey))
        {
            var left = limit - clock.Elapsed;
            Assert.True(left > TimeSpan.Zero, $"Expected {wanted.Count} stored records, got {wanted.Count(_stored.ContainsKey)}.");
            await _arrivals.WaitAsync(left);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A cancelled token stops at once: tests leave requests hanging on purpose.
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var records = JsonSerializer.Deserialize(body.ToArray(), LlmMeterJsonContext.Default.ListLlmCallRecord)!;
        var request = new Received(Requests.Count, _clock.GetUtcNow(), context.Request.Method + " " + context.Request.Path, context.Request.Headers.Authorization.ToString(), context.Request.ContentType, records);
        Requests.Enqueue(request);
        _arrivals.Release();
        try
        {
            if (!await _answer(request, context))
            {
                var duplicates = Store(records);
                await context.Response.WriteAsJsonAsync(new Dictionary<string, int>
                {
                    ["accepted"] = records.Count - duplicates,
                    ["duplicates"] = duplicates,
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The sink gave up on a hanging request: expected in shutdown tests.
        }
        finally
        {
            _arrivals.Release();
        }
    }

    /// <summary>One request as received.</summary>
    /// <param name="Index">Zero-based arrival order.</param>
    /// <param name="At">Arrival time on the stub's clock.</param>
    /// <param name="Target">Method and path, such as <c>POST /v1/calls</c>.</param>
    /// <param name="Authorization">The Authorization header as sent.</param>
    /// <param name="ContentType">The Content-Type header as sent.</param>
    /// <param name="Records">The body, read in the wire format.</param>
    public sealed record Received(int Index, DateTimeOffset At, string Target, string Authorization, string? ContentType, List<LlmCallRecord> Records)
    {
        public IEnumerable<string> Ids => Records.Select(r => r.Id);
    }
}
