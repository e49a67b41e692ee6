import assert from "node:assert/strict";
import { test } from "node:test";
import { checkReleaseRepository, repositoryAllowed } from "./repository-allowlist.ts";

test("`*` stays inside one path segment, `**` crosses them, everything else is literal", () => {
  const team = ["https://git.example.com/payments/*"];
  assert.equal(repositoryAllowed(team, "https://git.example.com/payments/checkout.git"), true);
  assert.equal(repositoryAllowed(team, "https://git.example.com/payments/deep/checkout"), false);
  assert.equal(repositoryAllowed(team, "https://git.example.com/finance/ledger"), false);
  // A look-alike host is another repository: the dot is not a wildcard, the end is anchored.
  assert.equal(repositoryAllowed(team, "https://gitXexample.com/payments/checkout"), false);
  assert.equal(repositoryAllowed(team, "https://git.example.com/payments/x@evil.example/y"), false);
  assert.equal(
    repositoryAllowed(["git@git.example.com:payments/**"], "git@git.example.com:payments/a/b"),
    true,
  );
  assert.equal(repositoryAllowed(["/srv/git/cart"], "/srv/git/cart"), true);
  assert.equal(repositoryAllowed(["/srv/git/cart"], "/srv/git/cart-old"), false);
});

test("a team without a list releases from anywhere; with one, another repository is refused by name", () => {
  const teams = [
    { name: "payments", repositories: ["https://git.example.com/payments/*"] },
    { name: "search" },
  ];
  checkReleaseRepository(teams, "search", "finder", "https://git.example.com/finance/ledger");
  checkReleaseRepository(undefined, "payments", "checkout", "https://git.example.com/finance/ledger");
  checkReleaseRepository(teams, "payments", "checkout", "https://git.example.com/payments/checkout");
  assert.throws(
    () => checkReleaseRepository(teams, "payments", "checkout", "https://git.example.com/finance/ledger"),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, "SLIPWAY_E_FORBIDDEN");
      assert.match(
        error.message,
        /repository https:\/\/git\.example\.com\/finance\/ledger is not one team payments releases from/,
      );
      assert.match(error.message, /teams\[\]\.repositories/);
      return true;
    },
  );
});
