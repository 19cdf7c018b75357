using System.Text.Json;
using LlmMeter.Collector.Auth;
using LlmMeter.Collector.Hosting;
using LlmMeter.Collector.Ingest;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LlmMeter.Collector.Budgets;

/// <summary>
/// <c>/v1/budgets</c> (admin key): list and read with status, create (POST, 409 when the id exists), create or
/// replace (PUT), delete. Budgets from configuration are read-only here (409).
/// </summary>
internal static class BudgetEndpoints
{
    private const long MaxBodyBytes = 256 * 1024;

    public static IEndpointRouteBuilder MapBudgetEndpoints(this IEndpointRouteBuilder app)
    {
        // Created now, so the gauges are exported from the first scrape.
        _ = app.ServiceProvider.GetRequiredService<BudgetMetrics>();
        var budgets = app.MapGroup("/v1/budgets");
        budgets.MapGet(string.Empty, List).RequireKey(KeyScope.Admin);
        budgets.MapGet("/{id}", Get).RequireKey(KeyScope.Admin);
        budgets.MapPost(string.Empty, CreateAsync).RequireKey(KeyScope.Admin);
        budgets.MapPut("/{id}", PutAsync).RequireKey(KeyScope.Admin);
        budgets.MapDelete("/{id}", DeleteAsync).RequireKey(KeyScope.Admin);
        return app;
    }

    private static IResult List([FromServices] BudgetState state) =>
        TypedResults.Json(new BudgetList([.. state.Current.Select(s => BudgetResource.From(s.Budget, s))]), BudgetJson.Options);

    private static IResult Get(string id, [FromServices] BudgetState state) =>
        state.Find(id) is { } status ? Resource(status) : NotFound(id);

    private static async Task<IResult> CreateAsync(HttpRequest request, [FromServices] BudgetRepository repository, [FromServices] BudgetState state)
    {
        var (budget, problem) = await ReadAsync(request, routeId: null).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        return await repository.CreateAsync(budget!, CancellationToken.None).ConfigureAwait(false) switch
        {
            BudgetWriteOutcome.Created => Created(state, budget!.Id),
            BudgetWriteOutcome.ReadOnly => ReadOnly(budget!.Id),
            _ => Conflict($"A budget with id '{budget!.Id}' exists: PUT /v1/budgets/{budget.Id} replaces it."),
        };
    }

    private static IResult Created(BudgetState state, string id) =>
        TypedResults.Json(Current(state, id), BudgetJson.Options, statusCode: StatusCodes.Status201Created).WithLocation($"/v1/budgets/{id}");

    private static async Task<IResult> PutAsync(string id, HttpRequest request, [FromServices] BudgetRepository repository, [FromServices] BudgetState state)
    {
        if (!BudgetParser.IsValidId(id))
        {
            return Invalid("id", "must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'.");
        }

        var (budget, problem) = await ReadAsync(request, id).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        return await repository.PutAsync(budget!, CancellationToken.None).ConfigureAwait(false) switch
        {
            BudgetWriteOutcome.ReadOnly => ReadOnly(id),
            BudgetWriteOutcome.Created => Created(state, id),
            _ => TypedResults.Json(Current(state, id), BudgetJson.Options),
        };
    }

    private static async Task<IResult> DeleteAsync(string id, [FromServices] BudgetRepository repository) =>
        await repository.DeleteAsync(id, CancellationToken.None).ConfigureAwait(false) switch
        {
            BudgetWriteOutcome.Deleted => TypedResults.NoContent(),
            BudgetWriteOutcome.ReadOnly => ReadOnly(id),
            _ => NotFound(id),
        };

    private static async Task<(BudgetDefinition? Budget, IResult? Problem)> ReadAsync(HttpRequest request, string? routeId)
    {
        if (!request.HasJsonContentType())
        {
            return (null, ApiProblems.UnsupportedMediaType(request.ContentType));
        }

        // Counted while reading, so a chunked body over the limit is refused as one with a Content-Length is.
        using var body = await BodyBuffer.ReadAsync(request, MaxBodyBytes, request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (body.TooLarge)
        {
            return (null, ApiProblems.TooLarge($"A budget is at most {MaxBodyBytes} bytes."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Span.ToArray());
        }
        catch (JsonException ex)
        {
            return (null, Invalid("body", $"is not valid JSON: {ex.Message}"));
        }

        using (document)
        {
            if (JsonText.FindUndecodable(document.RootElement) is { } bad)
            {
                return (null, Invalid(bad.Path.Length == 0 ? "body" : bad.Path, bad.Message));
            }

            return BudgetParser.TryParse(document.RootElement, routeId, BudgetRepository.ApiSource, lenient: false, out var budget, out var error)
                ? (budget, null)
                : (null, Invalid(error!.Field.Length == 0 ? "body" : error.Field, error.Message));
        }
    }

    // The write has committed and refreshed the state on the writer's thread before the request completes.
    private static BudgetResource? Current(BudgetState state, string id) =>
        state.Find(id) is { } status ? BudgetResource.From(status.Budget, status) : null;

    private static IResult Resource(BudgetStatus status) => TypedResults.Json(BudgetResource.From(status.Budget, status), BudgetJson.Options);

    private static ProblemHttpResult Invalid(string field, string message) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid budget",
            detail: $"'{field}' {message}",
            extensions: new Dictionary<string, object?> { ["field"] = field });

    private static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail);

    private static ProblemHttpResult ReadOnly(string id) =>
        Conflict($"Budget '{id}' comes from the configuration (the Budgets section) and is read-only here: change the configuration and restart the collector.");

    private static ProblemHttpResult NotFound(string id) => ApiProblems.NotFound($"No budget with id '{id}'.");

    private static IResult WithLocation(this IResult result, string location) => new LocatedResult(result, location);

    /// <summary>A JSON result with a Location header (201 Created).</summary>
    private sealed class LocatedResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
