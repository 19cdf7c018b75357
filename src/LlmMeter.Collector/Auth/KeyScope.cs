namespace LlmMeter.Collector.Auth;

/// <summary>What an endpoint needs. The admin key is allowed everywhere.</summary>
internal enum KeyScope
{
    Ingest,
    Read,
    Admin,
}
