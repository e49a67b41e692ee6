import { jobContract } from "./job-contract.ts";

jobContract("sqlite");
jobContract("postgres");
