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

    // The build records where the project was (the output may be anywhere, e.g. --artifacts-path /tmp/...).
    private static string FindRoot()
    {
        var built = typeof(Repo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), inherit: false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        foreach (var start in new[] { built, AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "LlmMeter.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"No LlmMeter.sln found above {built}, {AppContext.BaseDirectory} or {Environment.CurrentDirectory}.");
    }
}
