using System.Net;
using System.Net.Sockets;

namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>Ephemeral ports on 127.0.0.1 for programs that need their port on the command line.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
