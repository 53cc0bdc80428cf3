/*
 * reset.js: the page that sets the new password.
 *
 * The code comes in the fragment (#code=...&lang=de), which browsers never
 * send to a server; it is read once and taken out of the address bar
 * (history.replaceState) so that it stays out of the history.  Without a
 * fragment the page asks for the code the mail also prints.
 *
 * The rules are shown as a live checklist counted as the server counts:
 * code points, not UTF-16 units.  The server's answer has the last word and
 * lists every violation at once.
 *
 * On success the token goes to sessionStorage under TOKEN_KEY and the page
 * moves to AR_SITE.afterResetUrl when it is of this same origin; without
 * one, it says the password is changed (README, "The pages").
 */
(function () {
	"use strict";
	var AR = window.AR;
	var TOKEN_KEY = "account-reset.token";
	var VIOLATIONS = ["too_short", "too_long", "too_few_character_classes",
	    "control_character", "repetitive", "common_password", "contains_email"];

	/* What the spec's rules say of pw: code points and classes. */
	function check(pw) {
		var cps = Array.from(pw), classes = 0, control = false;
		cps.forEach(function (ch) {
			var c = ch.codePointAt(0);
			if (c >= 0x61 && c <= 0x7a)
				classes |= 1;
			else if (c >= 0x41 && c <= 0x5a)
				classes |= 2;
			else if (c >= 0x30 && c <= 0x39)
				classes |= 4;
			else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f))
				control = true;
			else
				classes |= 8;
		});
		var n = 0;
		for (var b = 1; b <= 8; b <<= 1)
			if (classes & b)
				n++;
		return { length: cps.length >= 8 && cps.length <= 128,
		    classes: n >= 3, control: control };
	}

	/* The same origin only: a token never leaves for another site. */
	function sameOriginUrl(u) {
		if (!u)
			return null;
		try {
			var url = new URL(u, location.href);
			return url.origin === location.origin ? url.href : null;
		} catch (e) {
			return null;
		}
	}

	function mark(li, met) {
		li.classList.toggle("met", met);
		li.classList.toggle("unmet", !met);
		var s = li.querySelector(".state");
		if (!s) {
			s = document.createElement("span");
			s.className = "visually-hidden state";
			li.appendChild(s);
		}
		s.textContent = " (" + AR.t(met ? "rule.met" : "rule.unmet") + ")";
	}

	AR.ready(function () {
		var form = document.getElementById("form");
		var code = document.getElementById("code");
		var pw = document.getElementById("password");
		var confirm = document.getElementById("confirm");
		var button = document.getElementById("submit");
		var fromLink = AR.params.code || "";
		var busy = false;

		if (location.hash !== "")
			history.replaceState(null, "", location.pathname + location.search);
		if (fromLink === "") {
			document.getElementById("code-field").hidden = false;
			AR.describe("code", ["code-hint"]);
		} else {
			document.getElementById("code-received").hidden = false;
		}
		AR.describe("password", ["rules-list"]);
		AR.describe("confirm");

		function live() {
			var r = check(pw.value);
			mark(document.getElementById("rule-length"), r.length);
			mark(document.getElementById("rule-classes"), r.classes);
		}
		pw.addEventListener("input", live);
		live();
		document.getElementById("show").addEventListener("change", function (ev) {
			var type = ev.target.checked ? "text" : "password";
			pw.type = type;
			confirm.type = type;
		});
		(fromLink === "" ? code : pw).focus();

		function succeed(token) {
			try {
				sessionStorage.setItem(TOKEN_KEY, JSON.stringify(token));
			} catch (e) {
				/* storage off: the success message still stands */
			}
			pw.value = "";
			confirm.value = "";
			var next = sameOriginUrl(AR.site.afterResetUrl);
			if (next !== null) {
				location.replace(next);
				return;
			}
			form.hidden = true;
			document.getElementById("forgot-link").hidden = true;
			var done = document.getElementById("done");
			done.hidden = false;
			done.focus();
		}

		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			if (busy)
				return;
			AR.clearErrors();
			var errors = [];
			var theCode = fromLink || code.value.trim();
			if (theCode === "")
				errors.push({ field: "code", text: AR.t("reset.code.missing") });
			if (pw.value === "")
				errors.push({ field: "password", text: AR.t("reset.password.missing") });
			if (confirm.value === "")
				errors.push({ field: "confirm", text: AR.t("reset.confirm.missing") });
			else if (pw.value !== "" && confirm.value !== pw.value)
				errors.push({ field: "confirm", text: AR.t("reset.confirm.mismatch") });
			if (errors.length > 0) {
				AR.showErrors(errors);
				return;
			}
			busy = true;
			button.disabled = true;
			AR.post("reset/", { validation_code: theCode, password: pw.value }, function (res) {
				busy = false;
				button.disabled = false;
				var body = res.body || {};
				if (res.status === 200 && body.token) {
					succeed(body.token);
					return;
				}
				if (res.status === 400 && body.error === "invalid_password") {
					/* The password must change: its confirmation
					 * goes, the password stays to be amended. */
					confirm.value = "";
					var v = (body.violations || []).filter(function (x) {
						return VIOLATIONS.indexOf(x) >= 0;
					});
					AR.showErrors((v.length ? v : ["other"]).map(function (x) {
						return { field: "password", text: AR.t("v." + x) };
					}));
					return;
				}
				if (res.status === 400 && body.error === "invalid_validation_code") {
					AR.showErrors([{ field: fromLink === "" ? "code" : null,
					    text: AR.t("err.invalid_validation_code"),
					    link: { href: "../forgot/", text: AR.t("reset.forgot") } }]);
					return;
				}
				AR.showErrors([{ field: null, text: AR.generalError(res) }]);
			});
		});
	});
})();
