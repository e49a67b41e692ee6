import { promotionContract } from "./promotion-contract.ts";

promotionContract("sqlite");
promotionContract("postgres");
