/**
 * Guesses the port and start command of a project from its files, for `slipway init`. Pure: the
 * caller hands in the directory listing and a file reader. Covers Node, Ruby, Java and .NET;
 * anything else gets placeholders that the starter file marks as such.
 */
export interface ProjectFiles {
  readonly names: readonly string[];
  read(name: string): string | undefined;
}

export interface DetectedProject {
  readonly kind: "node" | "ruby" | "java" | "dotnet" | "unknown";
  readonly name?: string;
  readonly port: number;
  readonly command?: readonly string[];
  /** Where the guess came from, written into the starter file as a comment. */
  readonly evidence: string;
}

export function detectProject(files: ProjectFiles): DetectedProject {
  return (
    detectNode(files) ??
    detectRuby(files) ??
    detectJava(files) ??
    detectDotnet(files) ?? { kind: "unknown", port: 8080, evidence: "no known project file found" }
  );
}

function detectNode(files: ProjectFiles): DetectedProject | undefined {
  const text = files.read("package.json");
  if (text === undefined) return undefined;
  let pkg: { name?: unknown; main?: unknown; scripts?: Record<string, unknown> };
  try {
    pkg = JSON.parse(text) as typeof pkg;
  } catch {
    return {
      kind: "node",
      port: 3000,
      command: ["npm", "start"],
      evidence: "package.json (not valid JSON, defaults used)",
    };
  }
  const start = typeof pkg.scripts?.start === "string" ? pkg.scripts.start : undefined;
  const main = typeof pkg.main === "string" ? pkg.main : "index.js";
  const entry = start?.match(/^node\s+(\S+)/)?.[1] ?? main;
  const source = files.read(entry) ?? files.read(entry.replace(/^\.\//, "")) ?? "";
  const port = portFrom(source, [/PORT\s*(?:\|\||\?\?)\s*(\d{2,5})/, /\.listen\(\s*(\d{2,5})/]) ?? 3000;
  const command = start && /^node\s+\S+$/.test(start.trim()) ? start.trim().split(/\s+/) : ["npm", "start"];
  return {
    kind: "node",
    ...(typeof pkg.name === "string" ? { name: pkg.name } : {}),
    port,
    command,
    evidence: `package.json${start ? ` (start: ${start})` : ""}`,
  };
}

function detectRuby(files: ProjectFiles): DetectedProject | undefined {
  const gemfile = files.read("Gemfile");
  if (gemfile === undefined) return undefined;
  if (/gem\s+["']rails["']/.test(gemfile)) {
    const puma = files.read("config/puma.rb") ?? "";
    const port =
      portFrom(puma, [/port\s+ENV\.fetch\(\s*["']PORT["']\s*\)\s*\{\s*(\d+)\s*\}/, /port\s+(\d{2,5})/]) ??
      3000;
    return {
      kind: "ruby",
      port,
      command: ["bundle", "exec", "rails", "server", "-b", "0.0.0.0", "-p", String(port)],
      evidence: "Gemfile (Rails)",
    };
  }
  if (files.names.includes("config.ru")) {
    return {
      kind: "ruby",
      port: 9292,
      command: ["bundle", "exec", "rackup", "-o", "0.0.0.0", "-p", "9292"],
      evidence: "Gemfile and config.ru (Rack)",
    };
  }
  return { kind: "ruby", port: 8080, command: ["bundle", "exec", "ruby", "app.rb"], evidence: "Gemfile" };
}

function detectJava(files: ProjectFiles): DetectedProject | undefined {
  const build = files.read("pom.xml") ?? files.read("build.gradle") ?? files.read("build.gradle.kts");
  if (build === undefined) return undefined;
  const props = files.read("src/main/resources/application.properties") ?? "";
  const yml =
    files.read("src/main/resources/application.yml") ??
    files.read("src/main/resources/application.yaml") ??
    "";
  const port =
    portFrom(props, [/^server\.port\s*=\s*(\d+)/m]) ??
    portFrom(yml, [/server:\s*\n\s+port:\s*(\d+)/]) ??
    8080;
  const artifact = build.match(/<artifactId>([^<]+)<\/artifactId>/)?.[1];
  return {
    kind: "java",
    ...(artifact ? { name: artifact } : {}),
    port,
    command: ["java", "-jar", "/app/app.jar"],
    evidence: files.read("pom.xml") !== undefined ? "pom.xml" : "build.gradle",
  };
}

function detectDotnet(files: ProjectFiles): DetectedProject | undefined {
  const csproj = files.names.find((n) => n.endsWith(".csproj"));
  if (!csproj) return undefined;
  const name = csproj.slice(0, -".csproj".length);
  const launch = files.read("Properties/launchSettings.json") ?? "";
  const port = portFrom(launch, [/"applicationUrl"\s*:\s*"http:\/\/[^:"]+:(\d+)/]) ?? 8080;
  return { kind: "dotnet", name, port, command: ["dotnet", `${name}.dll`], evidence: csproj };
}

function portFrom(text: string, patterns: readonly RegExp[]): number | undefined {
  for (const pattern of patterns) {
    const port = Number(text.match(pattern)?.[1]);
    if (port >= 1 && port <= 65535) return port;
  }
  return undefined;
}
