/**
 * Who the page is: nobody in auth mode public; in jwt a bearer token, pasted or minted by the local
 * development issuer; and in iam nothing at all, since a page cannot sign SigV4 safely.
 */
import { byId, h } from "./dom";
import { describeError } from "./errors";
import { formatDate } from "./format";
import { claimsOf, homePrefix, type PageSettings } from "./settings";

/** Scopes a development token gets: every action of the development stack (purge included). */
const DEV_TOKEN_SCOPE = "read write delete purge";

export interface SignedIn {
  readonly token: string;
  /** The token's own folder, from its claims and the read prefixes. */
  readonly home: string;
  readonly subject: string;
  readonly expiresAt?: string;
}

/** Shows a page-wide message instead of the file browser. */
export function showNotice(title: string, ...body: Node[]): void {
  byId("notice-title").textContent = title;
  byId("notice-body").replaceChildren(...body);
  byId("notice").hidden = false;
}

/** Auth mode iam: what the browser cannot do, and what to use instead. */
export function showIamNotice(settings: PageSettings): void {
  const api = settings.apiUrl.replace(/\/+$/, "");
  const command = (text: string) => h("pre", {}, h("code", {}, text));
  showNotice(
    "This store needs AWS-signed requests, which a web page cannot make",
    h(
      "p",
      {},
      "Its API runs in auth mode ",
      h("code", {}, "iam"),
      ": every request must carry an AWS Signature Version 4 made with an access key's secret. A page would have to hand that secret to everyone who opens it, so this page does not ask for one.",
    ),
    h("p", {}, "Instead:"),
    h(
      "ul",
      {},
      h(
        "li",
        {},
        h("strong", {}, "Use the command line client with "),
        h("code", {}, "--iam"),
        ". It signs with your AWS credentials (the local stack prints the keys to export when it starts):",
        command(
          `sfstore ls --iam --api-url ${api}\nsfstore put photo.png photos/photo.png --iam --api-url ${api}\nsfstore share photos/photo.png --iam --api-url ${api}`,
        ),
      ),
      h(
        "li",
        {},
        h("strong", {}, "Or run the store in auth mode "),
        h("code", {}, "jwt"),
        ", and this page asks for a token from your identity provider (locally: ",
        h("code", {}, "npm start -- --auth jwt"),
        ").",
      ),
    ),
  );
}

/** A token's subject, folder and expiry, or the reason the page cannot use it. */
export function acceptToken(token: string, settings: PageSettings): SignedIn {
  const claims = claimsOf(token);
  if (!claims) {
    throw new Error("that is not a JWT: a token is three base64url parts separated by dots (eyJ….eyJ….…)");
  }
  const exp = typeof claims.exp === "number" ? new Date(claims.exp * 1000) : undefined;
  if (exp && exp.getTime() <= Date.now()) {
    throw new Error(`this token expired on ${formatDate(exp.toISOString())}; get a new one`);
  }
  return {
    token,
    home: homePrefix(settings.readPrefixes, claims),
    subject: typeof claims.sub === "string" ? claims.sub : "someone",
    ...(exp ? { expiresAt: exp.toISOString() } : {}),
  };
}

/** POST /token at the local development issuer: a token for `sub` with every scope of the stack. */
async function developmentToken(issuerUrl: string, sub: string): Promise<string> {
  const url = new URL("token", issuerUrl).toString();
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub, scope: DEV_TOKEN_SCOPE }),
    });
  } catch {
    throw new Error(
      `the development issuer at ${new URL(issuerUrl).host} could not be reached or refused this page`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as { token?: unknown; error?: { message?: unknown } };
  if (!res.ok || typeof body.token !== "string") {
    const said = typeof body.error?.message === "string" ? body.error.message : `it answered ${res.status}`;
    throw new Error(`the development issuer did not give a token: ${said}`);
  }
  return body.token;
}

/**
 * The sign-in card: `use` is given the token (pasted, or from the development issuer) and rejects
 * when the API refuses it, which the card then says.
 */
export function signInForm(
  settings: PageSettings,
  use: (token: string) => Promise<void>,
): {
  show(problem?: string): void;
  hide(): void;
} {
  const card = byId("signin");
  const field = byId<HTMLInputElement>("token");
  const problem = byId("signin-problem");
  byId("signin-prefixes").textContent = settings.readPrefixes.join(", ") || "none";
  const say = (text: string | undefined) => {
    problem.textContent = text ?? "";
    problem.hidden = text === undefined;
  };
  const attempt = async (token: Promise<string> | string, button: HTMLButtonElement) => {
    button.disabled = true;
    say(undefined);
    try {
      await use(await token);
      field.value = "";
    } catch (error) {
      say(describeError(error));
    } finally {
      button.disabled = false;
    }
  };

  const pasted = byId<HTMLFormElement>("token-form");
  pasted.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = pasted.querySelector("button") as HTMLButtonElement;
    const token = field.value.trim();
    if (token === "") return say("Paste a token first.");
    void attempt(token, button);
  });

  const issuerUrl = settings.issuerUrl;
  if (issuerUrl) {
    const form = byId<HTMLFormElement>("dev-token-form");
    form.hidden = false;
    byId("dev-token-hint").textContent =
      `From the development issuer at ${issuerUrl}, with the scopes ${DEV_TOKEN_SCOPE.split(" ").join(", ")}, for an hour.`;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const sub = byId<HTMLInputElement>("dev-sub").value.trim() || "dev";
      void attempt(developmentToken(issuerUrl, sub), byId<HTMLButtonElement>("dev-token"));
    });
  }

  return {
    show(text) {
      say(text);
      card.hidden = false;
      (issuerUrl ? byId<HTMLButtonElement>("dev-token") : field).focus();
    },
    hide() {
      card.hidden = true;
    },
  };
}
