using System.Diagnostics.Metrics;
using LlmMeter.Internal;
using LlmMeter.Policy.Internal;
using LlmMeter.Pricing.Internal;
using LlmMeter.Record.Internal;
using LlmMeter.Response;
using LlmMeter.Telemetry.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmMeter;

/// <summary>
/// A <see cref="DelegatingHandler"/> that records every OpenRouter call made through its <see cref="HttpClient"/>:
/// the model requested and served, fallbacks, provider, latency, time to first token, tokens and cost.
/// Streams are observed as the caller reads them, never buffered; the request and response bytes, the
/// status and the headers the caller reads are never changed, and the meter's own failures never reach
/// the caller. Requests outside <see cref="LlmMeterOptions.BaseAddress"/> pass through untouched.
/// </summary>
/// <example>
/// <code>
/// var http = new HttpClient(new LlmMeterHandler(new LlmMeterOptions { App = "search" }, sink)
/// {
///     InnerHandler = new SocketsHttpHandler(),
/// });
/// </code>
/// </example>
public sealed class LlmMeterHandler : DelegatingHandler
{
    private readonly MeterCore _core;

    /// <summary>Creates a handler that sends records to <paramref name="sink"/>.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public LlmMeterHandler(LlmMeterOptions options, ILlmCallSink sink)
        : this(options, sink, meterFactory: null, timeProvider: null)
    {
    }

    /// <summary>Creates a handler with its metrics on <paramref name="meterFactory"/> and its clock from <paramref name="timeProvider"/>.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public LlmMeterHandler(LlmMeterOptions options, ILlmCallSink sink, IMeterFactory? meterFactory, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        LlmMeterOptionsValidator.ThrowIfInvalid(options);
        var time = timeProvider ?? TimeProvider.System;
        var metrics = meterFactory is null ? LlmMeterMetrics.Shared : new LlmMeterMetrics(meterFactory);
        _core = new MeterCore(options, [sink], metrics, time, PriceCatalogRegistry.Shared.GetOrCreate(options), NullLogger.Instance);
    }

    internal LlmMeterHandler(MeterCore core) => _core = core;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_core.TryMatch(request, out var endpoint))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        CallState? call = null;
        try
        {
            call = await CallState.StartAsync(_core, request, endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Unreadable request content: let the call go out unmetered; the inner handler reports its own error.
            _core.MeterFailed(ex);
        }

        if (call is not null && _core.Policy is not null && ApplyPolicy(call, request, cancellationToken) is { } blocked)
        {
            return blocked;
        }

        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (call is not null && call.OnSendFailed(ex, cancellationToken))
        {
            throw; // Not reached: the filter records the failure and lets the original exception through.
        }

        return call is null ? response : Attach(call, response);
    }

    /// <inheritdoc />
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_core.TryMatch(request, out var endpoint))
        {
            return base.Send(request, cancellationToken);
        }

        CallState? call = null;
        try
        {
            call = CallState.Start(_core, request, endpoint, cancellationToken);
        }
        catch (Exception ex)
        {
            _core.MeterFailed(ex);
        }

        if (call is not null && _core.Policy is not null && ApplyPolicy(call, request, cancellationToken) is { } blocked)
        {
            return blocked;
        }

        HttpResponseMessage response;
        try
        {
            response = base.Send(request, cancellationToken);
        }
        catch (Exception ex) when (call is not null && call.OnSendFailed(ex, cancellationToken))
        {
            throw;
        }

        return call is null ? response : Attach(call, response);
    }

    // Routing before the call goes out: a rewritten model, or a 402 answered here. Never breaks the call:
    // if the policy cannot be applied, the call goes out as the caller wrote it.
    private HttpResponseMessage? ApplyPolicy(CallState call, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            var decision = PolicyEnforcer.Decide(_core.Policy!, _core, call);
            if (decision.IsNone)
            {
                return null;
            }

            if (decision.Action == Policy.RoutingAction.Block)
            {
                return PolicyEnforcer.Block(request, call, decision);
            }

            PolicyEnforcer.TryRewrite(request, call, decision, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _core.MeterFailed(ex);
        }

        return null;
    }

    private HttpResponseMessage Attach(CallState call, HttpResponseMessage response)
    {
        try
        {
            call.OnResponse(response);
            response.Content = new MeteredContent(response.Content, call);
        }
        catch (Exception ex)
        {
            _core.MeterFailed(ex);
            call.Finish(CallState.EndReason.Completed, ex);
        }

        return response;
    }
}
