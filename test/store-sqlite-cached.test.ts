import { storeContract } from "./store-contract.ts";

storeContract("sqlite", { readCache: true });
