namespace LlmMeter.Ops.Tests.Infrastructure;

/// <summary>The repository the tests run from: the shipped operations files are read from here, never copied into the build.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts)
    {
        var path = PathOf(parts);
        Assert.True(File.Exists(path), $"The shipped file {path} does not exist.");
        return File.ReadAllText(path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LlmMeter.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No LlmMeter.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }
}
