namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>
/// The programs the tests run, from Debian's packages (eng/test.sh installs them). A missing one fails the test
/// with the package to install: these tests prove the shipped files on the real programs, so they never skip.
/// </summary>
internal static class Tools
{
    public static string Promtool => Require("prometheus", "promtool");

    public static string Prometheus => Require("prometheus", "prometheus");

    /// <summary>Debian names the binary prometheus-alertmanager; upstream builds call it alertmanager.</summary>
    public static string Alertmanager => Require("prometheus-alertmanager", "prometheus-alertmanager", "alertmanager");

    public static string Amtool => Require("prometheus-alertmanager", "amtool");

    public static string DockerCompose => Require("docker-compose", "docker-compose");

    private static string Require(string package, params string[] names)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Append("/usr/local/bin");
        var found = names.SelectMany(name => dirs.Select(dir => Path.Combine(dir, name))).FirstOrDefault(File.Exists);
        Assert.True(
            found is not null,
            $"{string.Join(" or ", names)} was not found (looked on PATH, /usr/bin and /usr/local/bin). Install the Debian package "
            + $"'{package}' (apt-get install {package}), or run eng/test.sh, which installs it.");
        return found!;
    }
}
