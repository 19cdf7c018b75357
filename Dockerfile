# The LlmMeter collector. Build: docker build -t llmmeter-collector .   (docker-compose.yml builds it too)
# Run:   docker run -p 5080:5080 -v llmmeter-data:/data --env-file deploy/.env llmmeter-collector
# Settings are the collector's (docs/collector.md), as LLMMETER_* environment variables or command-line arguments.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# global.json pins the SDK feature band used on developer machines; the image's own 10.0 SDK builds the same
# code, so the file is left out rather than making the build depend on one feature band being in the image.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/LlmMeter/LlmMeter.csproj src/LlmMeter/
COPY src/LlmMeter.Collector/LlmMeter.Collector.csproj src/LlmMeter.Collector/
RUN dotnet restore src/LlmMeter.Collector/LlmMeter.Collector.csproj
COPY src/LlmMeter/ src/LlmMeter/
COPY src/LlmMeter.Collector/ src/LlmMeter.Collector/
RUN dotnet publish src/LlmMeter.Collector/LlmMeter.Collector.csproj -c Release --no-restore -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# The database lives in a volume owned by the image's unprivileged user.
RUN mkdir -p /data && chown "$APP_UID" /data
USER $APP_UID
VOLUME /data
# Listens on every interface of the container: the collector then refuses to start without keys
# (LLMMETER_Keys__Ingest / __Read / __Admin).
ENV ASPNETCORE_URLS=http://+:5080 \
    LLMMETER_Store__SqlitePath=/data/llmmeter.db
EXPOSE 5080
ENTRYPOINT ["dotnet", "LlmMeter.Collector.dll"]
