/*
 * common.js: what both pages share: the language, the strings, the error
 * summary and the field errors, and the one way to call the API.
 * No framework, no inline script: the pages hold under a strict
 * Content-Security-Policy (script-src 'self').
 */
(function () {
	"use strict";

	var strings = window.AR_STRINGS || {};
	var site = window.AR_SITE || {};

	/* The fragment's parameters (#code=...&lang=de), parsed once; a part
	 * that does not decode (a link cut mid-escape) is left out. */
	function fragmentParams() {
		var out = {};
		location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
			var i = kv.indexOf("=");
			if (i <= 0)
				return;
			try {
				out[decodeURIComponent(kv.slice(0, i))] =
				    decodeURIComponent(kv.slice(i + 1));
			} catch (e) {
				/* URIError: not a parameter we can use */
			}
		});
		return out;
	}

	/* The language: lang= in the fragment, else the browser's first
	 * language we have, else English. */
	function pickLanguage(params) {
		var tries = [params.lang || ""].concat(navigator.languages || [navigator.language || ""]);
		for (var i = 0; i < tries.length; i++) {
			var l = String(tries[i]).toLowerCase().split("-")[0];
			if (strings[l])
				return l;
		}
		return "en";
	}

	var params = fragmentParams();
	var lang = pickLanguage(params);
	var table = strings[lang] || strings.en || {};

	function t(key, vars) {
		var s = table[key] !== undefined ? table[key] : (strings.en || {})[key];
		if (s === undefined)
			s = key;
		return s.replace(/\{(\w+)\}/g, function (m, k) {
			return vars && vars[k] !== undefined ? vars[k] : m;
		});
	}

	/* Puts the language's strings into every element that names one. */
	function translate() {
		document.documentElement.lang = lang;
		document.querySelectorAll("[data-i18n]").forEach(function (el) {
			el.textContent = t(el.getAttribute("data-i18n"));
		});
		var h1 = document.querySelector("h1");
		if (h1)
			document.title = h1.textContent;
	}

	/* A wait in seconds (Retry-After), as people say it. */
	function waitText(seconds) {
		var s = Math.max(1, Math.ceil(Number(seconds) || 1));
		if (s < 90)
			return s === 1 ? t("wait.second") : t("wait.seconds", { n: s });
		var m = Math.ceil(s / 60);
		return m === 1 ? t("wait.minute") : t("wait.minutes", { n: m });
	}

	/* Field errors: the message above the input, tied to it by
	 * aria-describedby, and the same message in the summary, which takes
	 * focus and links to the field. */
	function clearErrors() {
		var summary = document.getElementById("summary");
		summary.hidden = true;
		document.getElementById("summary-list").textContent = "";
		document.querySelectorAll(".field").forEach(function (f) {
			f.classList.remove("field-error");
		});
		document.querySelectorAll("p.error").forEach(function (p) {
			p.hidden = true;
			p.textContent = "";
		});
		document.querySelectorAll("input[aria-invalid]").forEach(function (i) {
			i.removeAttribute("aria-invalid");
		});
	}

	/* errors: [{field: "email" | null, text: "...", link: {href, text}
	 * (optional)}]; shows them all. */
	function showErrors(errors) {
		var list = document.getElementById("summary-list");
		var summary = document.getElementById("summary");
		var byField = {};
		errors.forEach(function (e) {
			var li = document.createElement("li");
			if (e.field) {
				var a = document.createElement("a");
				a.href = "#" + e.field;
				a.textContent = e.text;
				a.addEventListener("click", function (ev) {
					ev.preventDefault();
					document.getElementById(e.field).focus();
				});
				li.appendChild(a);
				(byField[e.field] = byField[e.field] || []).push(e.text);
			} else {
				li.textContent = e.text;
			}
			if (e.link) {
				var more = document.createElement("a");
				more.href = e.link.href;
				more.textContent = e.link.text;
				li.appendChild(document.createTextNode(" "));
				li.appendChild(more);
			}
			list.appendChild(li);
		});
		Object.keys(byField).forEach(function (id) {
			var input = document.getElementById(id);
			var p = document.getElementById(id + "-error");
			p.textContent = "";
			byField[id].forEach(function (text, i) {
				if (i > 0)
					p.appendChild(document.createElement("br"));
				p.appendChild(document.createTextNode(text));
			});
			p.hidden = false;
			input.setAttribute("aria-invalid", "true");
			document.getElementById(id + "-field").classList.add("field-error");
		});
		summary.hidden = false;
		summary.focus();
	}

	/* Keeps aria-describedby of each input naming its hint and error. */
	function describe(id, extra) {
		var ids = [id + "-error"].concat(extra || []);
		document.getElementById(id).setAttribute("aria-describedby", ids.join(" "));
	}

	/*
	 * POSTs body as JSON to the endpoint (e.g. "recover/").  Calls back
	 * with {status, body, retryAfter}; status 0 for a network failure.
	 */
	function post(endpoint, body, done) {
		var api = site.api || "/api/v2/account/";
		fetch(api + endpoint, {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify(body),
			credentials: "same-origin",
			cache: "no-store",
			referrerPolicy: "no-referrer"
		}).then(function (res) {
			return res.text().then(function (text) {
				var json = null;
				try {
					json = JSON.parse(text);
				} catch (e) {
					json = null;
				}
				done({ status: res.status, body: json,
				    retryAfter: res.headers.get("Retry-After") });
			});
		}, function () {
			done({ status: 0, body: null, retryAfter: null });
		});
	}

	/* The sentence for an answer that no field owns: 429, 503, network,
	 * anything else. */
	function generalError(res) {
		if (res.status === 429)
			return t("err.too_many", { wait: waitText(res.retryAfter) });
		if (res.status === 503 || res.status === 502 || res.status === 504)
			return t("err.unavailable");
		if (res.status === 0)
			return t("err.network");
		/* 400 invalid_request, 411, 413, 415: the page's own request
		 * was refused (an old cached page, a proxy in the way). */
		if (res.status >= 400 && res.status < 500)
			return t("err.request");
		return t("err.other");
	}

	/* Shows the form (hidden for readers without JavaScript). */
	function ready(fn) {
		translate();
		document.getElementById("form").hidden = false;
		fn();
	}

	window.AR = {
		t: t, lang: lang, params: params, site: site, post: post,
		clearErrors: clearErrors, showErrors: showErrors,
		describe: describe, generalError: generalError, ready: ready,
		waitText: waitText
	};
})();
