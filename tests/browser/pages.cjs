#!/usr/bin/env node
/*
 * pages.cjs: one scenario of the pages in a real browser (Debian's
 * chromium, driven by playwright-core; axe-core for accessibility).
 *
 *   node pages.cjs SCENARIO '{"base": "http://127.0.0.1:PORT", ...}'
 *
 * tests/e2e/test_pages_browser.py starts the real stack (MariaDB, the
 * responder, nginx from nginx.conf.example, the mailer, an SMTP server)
 * and runs the scenarios in turn, with what each needs between them (a
 * mail's link, a code, the database's state).  A scenario prints one JSON
 * line on standard output: {"checks": [{"name", "ok", "diag"}], "data"}.
 * Each check becomes one TAP claim there.  Nothing secret goes to
 * standard error.
 *
 * Environment: AR_CHROMIUM (default /usr/bin/chromium), AR_SHOTS (the
 * directory for screenshots, under the build directory).
 */
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const SHOTS = process.env.AR_SHOTS || path.join(process.cwd(), "screenshots");
const TOKEN_KEY = "account-reset.token";
/* Every wait is 30 s times AR_TIME_SCALE (the harness's scale for slow
 * builds: sanitizers, valgrind). */
const WAIT = 30000 * Math.max(1, parseFloat(process.env.AR_TIME_SCALE) || 1);

const checks = [];
const data = {};

function check(name, ok, diag) {
	checks.push({ name: name, ok: !!ok, diag: ok ? "" : String(diag || "") });
	return !!ok;
}

/* A browser page that records console errors, page errors and CSP
 * violations (securitypolicyviolation events, seen before any script of
 * the page runs). */
async function open(browser, opts) {
	const context = await browser.newContext(Object.assign({
		locale: "en-US", viewport: { width: 1024, height: 800 }
	}, opts || {}));
	const page = await context.newPage();
	page.setDefaultTimeout(WAIT);
	page.problems = [];
	page.on("console", (m) => {
		/* The browser logs every 4xx/5xx of fetch as an error: the API's
		 * documented refusals (400, 429, 503) are answers the page
		 * handles, not faults.  Anything else counts. */
		const api = (m.location() && m.location().url || "").includes("/api/v2/account/");
		if (m.type() === "error" && !(api && /^Failed to load resource/.test(m.text())))
			page.problems.push("console: " + m.text() + " (" +
			    (m.location() && m.location().url) + ")");
	});
	page.on("pageerror", (e) => page.problems.push("pageerror: " + e.message));
	await context.addInitScript(() => {
		window.__csp = [];
		document.addEventListener("securitypolicyviolation", (e) => {
			window.__csp.push(e.violatedDirective + " " + e.blockedURI);
		});
	});
	return page;
}

async function shot(page, name) {
	fs.mkdirSync(SHOTS, { recursive: true });
	await page.screenshot({ path: path.join(SHOTS, name + ".png"), fullPage: true });
}

/* axe-core on the page as it is now: every WCAG 2.1 A/AA rule and the
 * best practices. */
async function axe(page, what) {
	await page.evaluate(AXE);
	const res = await page.evaluate(() => window.axe.run(document, {
		runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
		    "best-practice"] }
	}));
	return check("axe-core finds no violation on " + what,
	    res.violations.length === 0,
	    res.violations.map((v) => v.id + ": " + v.help + " " +
	    v.nodes.map((n) => n.target.join(" ")).join(", ")).join("\n"));
}

async function clean(page, what) {
	const csp = await page.evaluate(() => window.__csp || []);
	check("no console error on " + what, page.problems.length === 0,
	    page.problems.join("\n"));
	check("no Content-Security-Policy violation on " + what, csp.length === 0,
	    csp.join("\n"));
}

async function focused(page) {
	return page.evaluate(() => document.activeElement && document.activeElement.id);
}

async function strings(page, lang) {
	return page.evaluate((l) => window.AR_STRINGS[l], lang || "en");
}

async function visibleText(page, sel) {
	const el = await page.$(sel);
	if (!el || !(await el.isVisible()))
		return null;
	return (await el.textContent()).trim();
}

/* Waits for the summary or the done box; returns which. */
async function outcome(page) {
	await page.waitForSelector("#summary:not([hidden]), #done:not([hidden])",
	    { timeout: WAIT });
	return (await page.$("#done:not([hidden])")) ? "done" : "summary";
}

async function selectAllAndType(page, text) {
	await page.keyboard.press("Control+A");
	await page.keyboard.press("Backspace");
	if (text)
		await page.keyboard.type(text);
}

function headersOk(resp, what) {
	const h = resp.headers();
	const csp = h["content-security-policy"] || "";
	check(what + " is served with a strict Content-Security-Policy " +
	    "(script-src 'self', no inline, frame-ancestors 'none', form-action 'self')",
	    /script-src 'self'(;|$)/.test(csp) && /style-src 'self'(;|$)/.test(csp) &&
	    csp.includes("frame-ancestors 'none'") && csp.includes("form-action 'self'") &&
	    !csp.includes("unsafe-inline"), csp);
	check(what + " has Referrer-Policy no-referrer, nosniff and Cache-Control no-store",
	    h["referrer-policy"] === "no-referrer" &&
	    h["x-content-type-options"] === "nosniff" &&
	    /no-store/.test(h["cache-control"] || ""), JSON.stringify(h));
}

/* ---------------------------------------------------------------- scenarios */

const scenarios = {};

/* The forgot page by keyboard alone: an empty submit, an address the
 * server refuses, then the one answer for every address. */
scenarios.forgot = async (browser, a) => {
	const page = await open(browser, { locale: a.locale || "en-US" });
	const tag = a.tag || "";
	const say = a.label ? " (" + a.label + ")" : "";
	const resp = await page.goto(a.base + "/account/forgot/");
	headersOk(resp, "the forgot page" + say);
	await page.waitForSelector("#form:not([hidden])");
	const s = await strings(page, a.lang || "en");
	check("the forgot page opens with the e-mail field focused" + say,
	    (await focused(page)) === "email", await focused(page));
	await shot(page, "forgot" + tag);
	await axe(page, "the forgot page" + say);
	if (a.lang)
		check("the forgot page speaks " + a.lang + " (html lang, heading)",
		    (await page.evaluate(() => document.documentElement.lang)) === a.lang &&
		    (await visibleText(page, "h1")) === s["forgot.title"],
		    await visibleText(page, "h1"));

	await page.keyboard.press("Enter");
	await outcome(page);
	const desc = await page.getAttribute("#email", "aria-describedby");
	check("an empty address: the error summary takes focus and the error sits " +
	    "at the field, tied to it (aria-describedby, aria-invalid)" + say,
	    (await focused(page)) === "summary" &&
	    (await visibleText(page, "#email-error")) === s["forgot.email.missing"] &&
	    desc.split(" ").includes("email-error") &&
	    (await page.getAttribute("#email", "aria-invalid")) === "true",
	    [await focused(page), desc, await visibleText(page, "#email-error")].join(" | "));
	await shot(page, "forgot-error" + tag);
	await axe(page, "the forgot page with an error" + say);

	await page.keyboard.press("Tab");
	await page.keyboard.press("Enter");
	check("the summary's link takes the keyboard to the field" + say,
	    (await focused(page)) === "email", await focused(page));

	if (!a.lang) {
		await page.keyboard.type("not-an-address");
		await page.keyboard.press("Enter");
		await page.waitForFunction(() =>
		    !document.getElementById("email-error").hidden &&
		    document.getElementById("email-error").textContent.includes("@"));
		check("invalid_email from the server shows at the field, the address kept" + say,
		    (await visibleText(page, "#email-error")) === s["forgot.email.invalid"] &&
		    (await page.inputValue("#email")) === "not-an-address",
		    await visibleText(page, "#email-error"));
		await page.focus("#email");
	}
	await selectAllAndType(page, a.email);
	await page.keyboard.press("Enter");
	const o = await outcome(page);
	check("a valid address gets the one answer every address gets, focused" + say,
	    o === "done" && (await focused(page)) === "done" &&
	    (await visibleText(page, "#done p")) === s["forgot.sent.body"],
	    o + " " + (await visibleText(page, "#summary")));
	await shot(page, "forgot-sent" + tag);
	await clean(page, "the forgot page" + say);
};

/* The reset page from the mail's link, by keyboard alone: the live
 * checklist, a weak password's violations all at once, then a good one. */
scenarios.reset = async (browser, a) => {
	const page = await open(browser);
	const resp = await page.goto(a.link);
	headersOk(resp, "the reset page");
	await page.waitForSelector("#form:not([hidden])");
	const s = await strings(page);
	check("the code is taken out of the address bar (history.replaceState)",
	    !page.url().includes("code=") && !page.url().includes("#"), page.url());
	check("with the code from the link, no code field is asked for and the " +
	    "password field has the focus",
	    !(await page.isVisible("#code")) && (await focused(page)) === "password",
	    await focused(page));
	await axe(page, "the reset page");
	await shot(page, "reset");

	/* 4 emoji (8 UTF-16 units) and 3 more: 7 code points, too short. */
	await page.keyboard.type("\u{1F600}\u{1F600}\u{1F600}\u{1F600}Aa1");
	const shortState = await page.getAttribute("#rule-length", "class");
	await page.keyboard.type("x");
	const longState = await page.getAttribute("#rule-length", "class");
	check("the checklist counts code points as the server does (7 is too short " +
	    "though it is 11 UTF-16 units; 8 is enough)",
	    shortState === "unmet" && longState === "met", shortState + " " + longState);
	check("the checklist ticks 3 of 4 classes (emoji count as other characters)",
	    (await page.getAttribute("#rule-classes", "class")) === "met",
	    await page.getAttribute("#rule-classes", "class"));
	await selectAllAndType(page, a.weak);
	await page.keyboard.press("Tab");
	await page.keyboard.type(a.weak);
	await page.keyboard.press("Enter");
	await outcome(page);
	const err = await visibleText(page, "#password-error");
	check("a weak password: every violation at once, at the field and in the " +
	    "focused summary (" + a.expect.join(", ") + ")",
	    (await focused(page)) === "summary" && err !== null &&
	    a.expect.every((v) => err.includes(s["v." + v])), err);
	check("after a refusal the password stays to be amended and its " +
	    "confirmation goes",
	    (await page.inputValue("#password")) === a.weak &&
	    (await page.inputValue("#confirm")) === "", "");
	await shot(page, "reset-violations");
	await axe(page, "the reset page with violations");

	await page.keyboard.press("Tab");
	await page.keyboard.press("Enter");
	check("the summary's link takes the keyboard to the password",
	    (await focused(page)) === "password", await focused(page));
	await selectAllAndType(page, a.good);
	await page.keyboard.press("Tab");
	await page.keyboard.type(a.good);
	await page.keyboard.press("Enter");
	const o = await outcome(page);
	check("a good password: the success message, focused",
	    o === "done" && (await focused(page)) === "done",
	    o + " " + (await visibleText(page, "#summary")));
	data.token = await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY);
	check("the token waits in sessionStorage under " + TOKEN_KEY,
	    data.token !== null, "");
	check("the password fields are emptied after success",
	    (await page.inputValue("#password")) === "" &&
	    (await page.inputValue("#confirm")) === "", "");
	await shot(page, "reset-done");
	await axe(page, "the reset page after success");
	await clean(page, "the reset page");
};

/* A mail's link as it is: open it, set a good password, see success
 * (the quick start's mail, tests/e2e/test_quickstart.py). */
scenarios.link = async (browser, a) => {
	const page = await open(browser);
	await page.goto(a.link);
	await page.waitForSelector("#form:not([hidden])");
	await page.fill("#password", a.good);
	await page.fill("#confirm", a.good);
	await page.click("#submit");
	const o = await outcome(page);
	check("the link from the " + a.what + " opens the reset page in Chromium and " +
	    "a new password is set there",
	    o === "done" && !page.url().includes("code="),
	    o + " " + page.url() + " " + (await visibleText(page, "#summary")));
	await shot(page, a.shot);
	await clean(page, "the reset page from the " + a.what);
};

/* A code that is used or expired: its sentence, and a link to a new mail. */
scenarios.used = async (browser, a) => {
	const page = await open(browser);
	await page.goto(a.link);
	await page.waitForSelector("#form:not([hidden])");
	const s = await strings(page);
	await page.fill("#password", a.good);
	await page.fill("#confirm", a.good);
	await page.click("#submit");
	await outcome(page);
	const text = await visibleText(page, "#summary-list");
	const href = await page.getAttribute("#summary-list a[href='../forgot/']", "href")
	    .catch(() => null);
	check("a code that is " + a.what + ": the page says so and links to a new mail",
	    text !== null && text.includes(s["err.invalid_validation_code"]) &&
	    href === "../forgot/", text);
	await shot(page, "reset-" + a.what + "-code");
	await clean(page, "the reset page with a code that is " + a.what);
};

/* No fragment: the code is pasted. */
scenarios.pasted = async (browser, a) => {
	const page = await open(browser);
	const say = a.after ? " (afterResetUrl " + a.after + ")" : a.note ? " (" + a.note + ")" : "";
	await page.goto(a.base + "/account/reset/");
	await page.waitForSelector("#form:not([hidden])");
	check("without a fragment the page asks for the code, focused" + say,
	    (await page.isVisible("#code")) && (await focused(page)) === "code",
	    await focused(page));
	await shot(page, "reset-paste");
	await axe(page, "the reset page asking for the code" + say);
	await page.keyboard.type(a.code);
	await page.fill("#password", a.good);
	await page.fill("#confirm", a.good);
	await page.click("#submit");
	if (a.after) {
		const here = (u) => u.pathname + u.search + u.hash;
		await page.waitForURL((u) => here(u) === a.after,
		    { timeout: WAIT }).catch(() => null);
		check("with afterResetUrl, the page moves to it (same origin) and the " +
		    "token is there for it in sessionStorage",
		    here(new URL(page.url())) === a.after,
		    page.url());
	} else {
		const o = await outcome(page);
		check("a pasted code resets the password: the success message" + say,
		    o === "done" && new URL(page.url()).origin === a.base,
		    o + " " + page.url() + " " + (await visibleText(page, "#summary")));
	}
	data.token = await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY);
	data.url = page.url();
	await clean(page, "the reset page with a pasted code" + say);
};

/* The reset page in German from the link's lang=, in an English browser. */
scenarios.german = async (browser, a) => {
	const page = await open(browser);
	await page.goto(a.link);
	await page.waitForSelector("#form:not([hidden])");
	const de = await strings(page, "de");
	check("the link's lang=de shows the reset page in German in an English " +
	    "browser (html lang, heading, checklist)",
	    (await page.evaluate(() => document.documentElement.lang)) === "de" &&
	    (await visibleText(page, "h1")) === de["reset.title"] &&
	    (await visibleText(page, "#rule-length")).startsWith(de["rule.length"]),
	    await visibleText(page, "h1"));
	await page.fill("#password", "abc");
	await page.fill("#confirm", "abd");
	await page.click("#submit");
	await outcome(page);
	check("German error sentences",
	    (await visibleText(page, "#confirm-error")) === de["reset.confirm.mismatch"],
	    await visibleText(page, "#confirm-error"));
	await shot(page, "reset-de");
	await axe(page, "the German reset page");
	await clean(page, "the German reset page");
};

/* Wrong codes until the attempt limit answers 429: the wait is told. */
scenarios.limit = async (browser, a) => {
	const page = await open(browser);
	await page.goto(a.base + "/account/reset/");
	await page.waitForSelector("#form:not([hidden])");
	const s = await strings(page);
	let text = "";
	for (let i = 0; i < a.tries; i++) {
		await page.fill("#code", "wrong-code-" + i);
		await page.fill("#password", a.good);
		await page.fill("#confirm", a.good);
		await page.click("#submit");
		await outcome(page);
		text = (await visibleText(page, "#summary-list")) || "";
		if (!text.includes(s["err.invalid_validation_code"]))
			break;
	}
	const want = s["err.too_many"].split("{wait}")[0];
	check("over the attempt limit (429) the page says to try again and when " +
	    "(from Retry-After)", text.startsWith(want) && /\d/.test(text), text);
	check("a refusal keeps the typed code and password",
	    (await page.inputValue("#code")).startsWith("wrong-code-") &&
	    (await page.inputValue("#password")) === a.good, "");
	await shot(page, "reset-429");
	await clean(page, "the reset page over the attempt limit");
};

/* The forgot page over nginx's limit_req: 429 with Retry-After; the page
 * says when to try again and keeps the address.  (An address the server
 * refuses keeps the form on the page between tries.) */
scenarios.forgot429 = async (browser, a) => {
	const page = await open(browser);
	await page.goto(a.base + "/account/forgot/");
	await page.waitForSelector("#form:not([hidden])");
	const s = await strings(page);
	const want = s["err.too_many"].split("{wait}")[0];
	let text = "";
	await page.fill("#email", "not-an-address");
	for (let i = 0; i < a.tries && !text.startsWith(want); i++) {
		await page.click("#submit");
		await outcome(page);
		text = (await visibleText(page, "#summary-list")) || "";
	}
	check("the forgot page over the request limit (429) says to try again in " +
	    "the time Retry-After gives, the address kept",
	    text === s["err.too_many"].replace("{wait}", s["wait.second"]) &&
	    (await page.inputValue("#email")) === "not-an-address", text);
	await shot(page, "forgot-429");
	await clean(page, "the forgot page over the request limit");
};

/* The service down (nginx's 503) and the network failing: try later, the
 * address kept. */
scenarios.down = async (browser, a) => {
	const page = await open(browser);
	await page.goto(a.base + "/account/forgot/");
	await page.waitForSelector("#form:not([hidden])");
	const s = await strings(page);
	await page.fill("#email", a.email);
	await page.click("#submit");
	await outcome(page);
	let text = await visibleText(page, "#summary-list");
	check("503 from the server: the page says to try again later, the address kept",
	    text === s["err.unavailable"] && (await page.inputValue("#email")) === a.email,
	    text);
	await shot(page, "forgot-503");
	/* The connection itself failing (the browser aborts the request). */
	await page.route("**/api/**", (route) => route.abort("connectionrefused"));
	await page.click("#submit");
	await page.waitForFunction((t) =>
	    document.getElementById("summary-list").textContent === t, s["err.network"]);
	text = await visibleText(page, "#summary-list");
	check("a network failure: the page says to check the connection, the address kept",
	    text === s["err.network"] && (await page.inputValue("#email")) === a.email, text);
	page.problems = page.problems.filter((p) =>
	    !/Failed to load resource|ERR_CONNECTION_REFUSED|status of 503/.test(p));
	await clean(page, "the forgot page with the service down");
};

/* A link cut in the middle of an escape: the page still works and asks
 * for the code, and the fragment is still taken out of the address. */
scenarios.cut = async (browser, a) => {
	const page = await open(browser);
	await page.goto(a.base + "/account/reset/#code=%E0%A4&lang=de");
	await page.waitForSelector("#form:not([hidden])", { timeout: WAIT }).catch(() => null);
	check("a link cut mid-escape still shows the reset page, asking for the code",
	    (await page.isVisible("#form")) && (await page.isVisible("#code")) &&
	    !page.url().includes("#"), page.url());
	await clean(page, "the reset page from a cut link");
};

/* A front end on another origin: a listed one gets through the preflight
 * and reads the answer; another is stopped by the browser. */
scenarios.cors = async (browser, a) => {
	let page = await open(browser);
	await page.goto(a.front + "/account/forgot/");
	await page.waitForSelector("#form:not([hidden])");
	await page.fill("#email", a.email);
	await page.click("#submit");
	let o = await outcome(page);
	check("a page on an origin listed in cors_origins calls the API on another " +
	    "origin: the preflight passes and the answer is read",
	    o === "done", o + " " + (await visibleText(page, "#summary")));
	await clean(page, "the forgot page on another origin");

	page = await open(browser);
	await page.goto(a.other + "/account/forgot/");
	await page.waitForSelector("#form:not([hidden])");
	const s = await strings(page);
	await page.fill("#email", a.email);
	await page.click("#submit");
	o = await outcome(page);
	check("a page on an origin not listed is stopped by the browser (CORS): " +
	    "it says the service could not be reached, the address kept",
	    o === "summary" && (await visibleText(page, "#summary-list")) === s["err.network"] &&
	    page.problems.some((p) => /CORS/.test(p)) &&
	    (await page.inputValue("#email")) === a.email,
	    (await visibleText(page, "#summary-list")) + " | " + page.problems.join(" | "));
};

/* Without JavaScript the pages say what to do. */
scenarios.nojs = async (browser, a) => {
	for (const p of ["forgot", "reset"]) {
		const page = await open(browser, { javaScriptEnabled: false });
		await page.goto(a.base + "/account/" + p + "/");
		const note = await visibleText(page, "noscript p.notice[lang=en]")
		    .catch(() => null);
		check("without JavaScript the " + p + " page says what to do and shows no form",
		    note !== null && note.includes("JavaScript") &&
		    !(await page.isVisible("#form")), String(note));
		await shot(page, p + "-nojs");
	}
};

/* Narrow screens: 320 px, and 640 px (a 1280 px window at 200% zoom). */
scenarios.narrow = async (browser, a) => {
	for (const width of [320, 640]) {
		for (const p of ["forgot", "reset"]) {
			const page = await open(browser, { viewport: { width: width, height: 700 } });
			await page.goto(a.base + "/account/" + p + "/");
			await page.waitForSelector("#form:not([hidden])");
			await page.click("#submit");
			await outcome(page);
			const w = await page.evaluate(() => document.documentElement.scrollWidth);
			check("the " + p + " page with errors fits " + width + " px without " +
			    "scrolling sideways", w <= width, "scrollWidth " + w);
			if (width === 320)
				await shot(page, p + "-320px");
		}
	}
};

async function main() {
	const name = process.argv[2];
	const args = JSON.parse(process.argv[3] || "{}");
	if (!scenarios[name]) {
		process.stderr.write("pages.cjs: no scenario " + name + "\n");
		process.exit(2);
	}
	const browser = await chromium.launch({
		executablePath: process.env.AR_CHROMIUM || "/usr/bin/chromium",
		args: ["--no-sandbox", "--disable-dev-shm-usage"]
	});
	try {
		await scenarios[name](browser, args);
	} catch (e) {
		check("scenario " + name + " ran to its end", false, e.stack || e);
	} finally {
		await browser.close();
	}
	process.stdout.write(JSON.stringify({ checks: checks, data: data }) + "\n");
}

main().catch((e) => {
	process.stderr.write("pages.cjs: " + (e && e.message) + "\n");
	process.exit(2);
});
