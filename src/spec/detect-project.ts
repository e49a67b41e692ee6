/**
 * Guesses the name, port and start command of a project from its files, for `slipway init`. Pure:
 * the caller hands in the directory listing and a file reader. Covers Node, Ruby (Rails, Rack),
 * Java (Maven, Gradle), .NET, Go and Python (Django, FastAPI, Flask, gunicorn); anything else gets
 * placeholders that the starter file marks as such.
 *
 * The strongest evidence wins: a Rails app (Gemfile and config/application.rb) or a Django app
 * (manage.py) usually has a package.json too, for its front-end assets, and is not a Node app.
 */
export interface ProjectFiles {
  readonly names: readonly string[];
  /** The text of a regular file at this relative path, or undefined when there is none. */
  read(name: string): string | undefined;
}

export interface DetectedProject {
  readonly kind: "node" | "ruby" | "java" | "dotnet" | "go" | "python" | "unknown";
  readonly name?: string;
  readonly port: number;
  /** Undefined: the image's own entrypoint starts the app. */
  readonly command?: readonly string[];
  /** Where the guess came from, written into the starter file as a comment. */
  readonly evidence: string;
}

export function detectProject(files: ProjectFiles): DetectedProject {
  return (
    detectRails(files) ??
    detectDjango(files) ??
    detectNode(files) ??
    detectRuby(files) ??
    detectJava(files) ??
    detectDotnet(files) ??
    detectGo(files) ??
    detectPython(files) ?? { kind: "unknown", port: 8080, evidence: "no known project file found" }
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
  const start = typeof pkg.scripts?.start === "string" ? pkg.scripts.start.trim() : undefined;
  // Without a start script, `npm start` runs `node server.js`; `main` is what the package says it runs.
  const main = typeof pkg.main === "string" ? pkg.main.replace(/^\.\//, "") : undefined;
  const fallback = main ?? (files.read("server.js") !== undefined ? "server.js" : "index.js");
  const entry = start?.match(/^node\s+(\S+)/)?.[1]?.replace(/^\.\//, "") ?? fallback;
  const source = files.read(entry) ?? "";
  const port = portFrom(source, [/PORT\s*(?:\|\||\?\?)\s*(\d{2,5})/, /\.listen\(\s*(\d{2,5})/]) ?? 3000;
  const command =
    start === undefined
      ? ["node", fallback]
      : /^node\s+\S+$/.test(start)
        ? start.split(/\s+/)
        : ["npm", "start"];
  return {
    kind: "node",
    ...(typeof pkg.name === "string" ? { name: pkg.name } : {}),
    port,
    command,
    evidence: `package.json${start ? ` (start: ${start})` : main ? ` (main: ${main})` : ""}`,
  };
}

function detectRails(files: ProjectFiles): DetectedProject | undefined {
  const gemfile = files.read("Gemfile");
  const application = files.read("config/application.rb");
  if (gemfile === undefined || application === undefined) return undefined;
  const port = railsPort(files);
  const module = application.match(/^module\s+([A-Z]\w*)/m)?.[1];
  return {
    kind: "ruby",
    // `module ShopFront` → shop-front, as Rails names the app.
    ...(module ? { name: module.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase() } : {}),
    port,
    command: ["bundle", "exec", "rails", "server", "-b", "0.0.0.0", "-p", String(port)],
    evidence: "Gemfile and config/application.rb (Rails)",
  };
}

function detectRuby(files: ProjectFiles): DetectedProject | undefined {
  const gemfile = files.read("Gemfile");
  if (gemfile === undefined) return undefined;
  if (/gem\s+["']rails["']/.test(gemfile)) {
    const port = railsPort(files);
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

function railsPort(files: ProjectFiles): number {
  const puma = files.read("config/puma.rb") ?? "";
  return (
    portFrom(puma, [/port\s+ENV\.fetch\(\s*["']PORT["']\s*\)\s*\{\s*(\d+)\s*\}/, /port\s+(\d{2,5})/]) ?? 3000
  );
}

function detectJava(files: ProjectFiles): DetectedProject | undefined {
  const pom = files.read("pom.xml");
  const gradle = files.read("build.gradle") ?? files.read("build.gradle.kts");
  if (pom === undefined && gradle === undefined) return undefined;
  const props = files.read("src/main/resources/application.properties") ?? "";
  const yml =
    files.read("src/main/resources/application.yml") ??
    files.read("src/main/resources/application.yaml") ??
    "";
  const port =
    portFrom(props, [/^server\.port\s*=\s*(\d+)/m]) ??
    portFrom(yml, [/server:\s*\n\s+port:\s*(\d+)/]) ??
    8080;
  const name =
    pom !== undefined
      ? pomArtifactId(pom)
      : gradleProjectName(files.read("settings.gradle") ?? files.read("settings.gradle.kts"));
  return {
    kind: "java",
    ...(name ? { name } : {}),
    port,
    command: ["java", "-jar", "/app/app.jar"],
    evidence: pom !== undefined ? "pom.xml" : "build.gradle",
  };
}

/**
 * The project's own artifactId: the one directly under <project>, not its <parent>'s (a Spring
 * Boot pom's first artifactId is `spring-boot-starter-parent`), nor a dependency's or a plugin's.
 */
function pomArtifactId(pom: string): string | undefined {
  const own = pom
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(
      /<(parent|dependencies|dependencyManagement|build|profiles|modules|reporting|pluginRepositories|repositories|distributionManagement)\b[\s\S]*?<\/\1>/g,
      "",
    );
  return own.match(/<artifactId>\s*([^<\s]+)\s*<\/artifactId>/)?.[1];
}

function gradleProjectName(settings: string | undefined): string | undefined {
  return settings?.match(/rootProject\.name\s*=\s*["']([^"']+)["']/)?.[1];
}

function detectDotnet(files: ProjectFiles): DetectedProject | undefined {
  const csproj = files.names.find((n) => n.endsWith(".csproj"));
  if (!csproj) return undefined;
  const assembly = files.read(csproj)?.match(/<AssemblyName>\s*([^<\s]+)\s*<\/AssemblyName>/)?.[1];
  const name = assembly ?? csproj.slice(0, -".csproj".length);
  // launchSettings.json holds the development server's ports; ASP.NET Core container images
  // listen on 8080 since .NET 8 (ASPNETCORE_HTTP_PORTS).
  return {
    kind: "dotnet",
    name,
    port: 8080,
    command: ["dotnet", `${name}.dll`],
    evidence: `${csproj} (containers listen on 8080 since .NET 8)`,
  };
}

function detectGo(files: ProjectFiles): DetectedProject | undefined {
  const mod = files.read("go.mod");
  if (mod === undefined) return undefined;
  // `module github.com/acme/ledger/v2` → ledger
  const path = mod.match(/^module\s+(\S+)/m)?.[1];
  const name = path
    ?.split("/")
    .filter((part) => !/^v\d+$/.test(part))
    .at(-1);
  const source = files.read("main.go") ?? (name ? files.read(`cmd/${name}/main.go`) : undefined) ?? "";
  const port =
    portFrom(source, [
      /Listen(?:AndServe(?:TLS)?)?\(\s*"[^":]*:(\d{2,5})"/,
      /"PORT"[\s\S]{0,80}?"(\d{2,5})"/,
      /":(\d{2,5})"/,
    ]) ?? 8080;
  return {
    kind: "go",
    ...(name ? { name } : {}),
    port,
    // A Go image's entrypoint is the binary it was built with; the starter leaves command unset.
    evidence: "go.mod",
  };
}

function detectDjango(files: ProjectFiles): DetectedProject | undefined {
  const manage = files.read("manage.py");
  if (manage === undefined) return undefined;
  const project = manage.match(/DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)\.settings["']/)?.[1];
  const deps = pythonDependencies(files);
  const command =
    deps.has("gunicorn") && project
      ? ["gunicorn", "--bind", "0.0.0.0:8000", `${project}.wsgi`]
      : ["python", "manage.py", "runserver", "0.0.0.0:8000"];
  return {
    kind: "python",
    ...pythonName(files),
    port: 8000,
    command,
    evidence: `manage.py (Django${deps.has("gunicorn") ? ", gunicorn" : ""})`,
  };
}

function detectPython(files: ProjectFiles): DetectedProject | undefined {
  const manifests = ["pyproject.toml", "requirements.txt", "Pipfile", "setup.py"].filter(
    (n) => files.read(n) !== undefined,
  );
  if (manifests.length === 0) return undefined;
  const deps = pythonDependencies(files);
  const module = ["main.py", "app.py", "app/main.py", "src/main.py"].find((n) => files.read(n) !== undefined);
  // `app/main.py` → `app.main`; the ASGI/WSGI object is conventionally called `app`.
  const target = `${(module ?? "main.py").replace(/\.py$/, "").replaceAll("/", ".")}:app`;
  const base = { kind: "python" as const, ...pythonName(files) };
  const evidence = (framework: string) => `${manifests[0]} (${framework})`;
  if (deps.has("fastapi") || deps.has("uvicorn")) {
    return {
      ...base,
      port: 8000,
      command: ["uvicorn", target, "--host", "0.0.0.0", "--port", "8000"],
      evidence: evidence(deps.has("fastapi") ? "FastAPI" : "uvicorn"),
    };
  }
  if (deps.has("gunicorn")) {
    return {
      ...base,
      port: 8000,
      command: ["gunicorn", "--bind", "0.0.0.0:8000", target],
      evidence: evidence(deps.has("flask") ? "Flask, gunicorn" : "gunicorn"),
    };
  }
  if (deps.has("flask")) {
    return {
      ...base,
      port: 5000,
      command: ["flask", "--app", target.replace(/:app$/, ""), "run", "--host", "0.0.0.0", "--port", "5000"],
      evidence: evidence("Flask"),
    };
  }
  return {
    ...base,
    port: 8000,
    command: ["python", module ?? "main.py"],
    evidence: manifests[0] ?? "Python",
  };
}

/** Lower-cased names of the dependencies the usual Python manifests list. */
function pythonDependencies(files: ProjectFiles): Set<string> {
  const text = ["requirements.txt", "pyproject.toml", "Pipfile", "setup.py"]
    .map((n) => files.read(n) ?? "")
    .join("\n")
    .toLowerCase();
  const known = ["django", "fastapi", "uvicorn", "flask", "gunicorn"];
  return new Set(known.filter((name) => new RegExp(`(^|[\\s"'\\[,])${name}\\b`, "m").test(text)));
}

function pythonName(files: ProjectFiles): { name?: string } {
  const pyproject = files.read("pyproject.toml") ?? "";
  const name = pyproject.match(/^\[(?:project|tool\.poetry)\][^[]*?^name\s*=\s*["']([^"']+)["']/ms)?.[1];
  return name ? { name } : {};
}

function portFrom(text: string, patterns: readonly RegExp[]): number | undefined {
  for (const pattern of patterns) {
    const port = Number(text.match(pattern)?.[1]);
    if (port >= 1 && port <= 65535) return port;
  }
  return undefined;
}
