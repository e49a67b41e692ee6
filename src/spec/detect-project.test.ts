import assert from "node:assert/strict";
import { test } from "node:test";
import { type DetectedProject, detectProject } from "./detect-project.ts";

function detect(files: Record<string, string>): DetectedProject {
  return detectProject({ names: Object.keys(files), read: (name) => files[name] });
}

test("a Spring Boot pom is named by its own artifactId, not its parent's or a dependency's", () => {
  const pom = `<project>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
  </parent>
  <groupId>com.acme</groupId>
  <artifactId>ledger-service</artifactId>
  <dependencies><dependency><artifactId>spring-boot-starter-web</artifactId></dependency></dependencies>
</project>`;
  const project = detect({ "pom.xml": pom });
  assert.equal(project.kind, "java");
  assert.equal(project.name, "ledger-service");
  assert.equal(detect({ "build.gradle": "", "settings.gradle": "rootProject.name = 'rates'" }).name, "rates");
});

test("a Rails 7 app with a package.json is a Rails app", () => {
  const project = detect({
    Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 7.1"\n',
    "config/application.rb": "module ShopFront\n  class Application < Rails::Application\n  end\nend\n",
    "package.json": JSON.stringify({
      name: "app",
      private: true,
      scripts: { build: "esbuild app/javascript/*.*" },
    }),
  });
  assert.equal(project.kind, "ruby");
  assert.equal(project.name, "shop-front");
  assert.equal(project.port, 3000);
  assert.deepEqual(project.command, ["bundle", "exec", "rails", "server", "-b", "0.0.0.0", "-p", "3000"]);
});

test("a Node package with main and no start script runs node <main>, as npm would", () => {
  const project = detect({
    "package.json": JSON.stringify({ name: "api", main: "app.js" }),
    "app.js": "app.listen(4000)",
  });
  assert.deepEqual(project.command, ["node", "app.js"]);
  assert.equal(project.port, 4000);
  assert.deepEqual(detect({ "package.json": "{}", "server.js": "" }).command, ["node", "server.js"]);
  assert.deepEqual(detect({ "package.json": JSON.stringify({ scripts: { start: "next start" } }) }).command, [
    "npm",
    "start",
  ]);
});

test(".NET listens on 8080 in a container whatever launchSettings.json says for development", () => {
  const project = detect({
    "Rates.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"/>',
    "Properties/launchSettings.json": '{"profiles":{"http":{"applicationUrl":"http://localhost:5080"}}}',
  });
  assert.equal(project.port, 8080);
  assert.deepEqual(project.command, ["dotnet", "Rates.dll"]);
});

test("Go modules are recognized: name from the module path, port from main.go, the image's entrypoint", () => {
  const project = detect({
    "go.mod": "module github.com/acme/ledger/v2\n\ngo 1.24\n",
    "main.go": 'package main\nfunc main() { http.ListenAndServe(":9090", nil) }\n',
  });
  assert.equal(project.kind, "go");
  assert.equal(project.name, "ledger");
  assert.equal(project.port, 9090);
  assert.equal(project.command, undefined);
  assert.equal(detect({ "go.mod": "module example.com/tool\n" }).port, 8080);
});

test("Python projects are recognized: Django, FastAPI, Flask and gunicorn", () => {
  const django = detect({
    "manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')",
    "requirements.txt": "Django==5.1\ngunicorn==23.0\n",
    "package.json": "{}",
  });
  assert.equal(django.kind, "python");
  assert.deepEqual(django.command, ["gunicorn", "--bind", "0.0.0.0:8000", "shop.wsgi"]);
  assert.equal(django.port, 8000);

  const fastapi = detect({
    "pyproject.toml": '[project]\nname = "quotes"\ndependencies = ["fastapi", "uvicorn[standard]"]\n',
    "app/main.py": "app = FastAPI()",
  });
  assert.equal(fastapi.name, "quotes");
  assert.deepEqual(fastapi.command, ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]);

  const flask = detect({ "requirements.txt": "flask\n", "app.py": "" });
  assert.equal(flask.port, 5000);
  assert.deepEqual(flask.command, ["flask", "--app", "app", "run", "--host", "0.0.0.0", "--port", "5000"]);

  const gunicorn = detect({ "requirements.txt": "Flask>=3\ngunicorn\n", "app.py": "" });
  assert.deepEqual(gunicorn.command, ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]);

  assert.deepEqual(detect({ "requirements.txt": "requests\n", "main.py": "" }).command, [
    "python",
    "main.py",
  ]);
});
