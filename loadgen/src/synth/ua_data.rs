//! Version and device tables behind the user-agent templates: real Chrome/Edge build numbers,
//! Android devices and builds, iOS releases. The long tail of distinct user agents comes from
//! combining these (in-app browsers and WebViews expose model, OS build and full versions).

/// Chrome `(major, build, patches)`: full version `major.0.build.patch`.
pub const CHROME_BUILDS: &[(u32, u32, &[u32])] = &[
    (100, 4896, &[60, 75, 88, 127]),
    (101, 4951, &[41, 54, 61, 64]),
    (102, 5005, &[61, 78, 115, 125]),
    (103, 5060, &[53, 66, 114, 134]),
    (104, 5112, &[79, 81, 101, 102]),
    (105, 5195, &[52, 79, 102, 125]),
    (106, 5249, &[61, 91, 103, 119]),
    (107, 5304, &[62, 87, 105, 110]),
    (108, 5359, &[71, 94, 124, 128]),
    (109, 5414, &[74, 87, 119, 120]),
    (110, 5481, &[77, 100, 104, 177]),
    (111, 5563, &[64, 110, 146]),
    (112, 5615, &[49, 121, 137, 165]),
    (113, 5672, &[63, 92, 126]),
    (114, 5735, &[90, 110, 133, 198]),
    (115, 5790, &[98, 102, 110, 170]),
    (116, 5845, &[96, 110, 140, 187]),
    (117, 5938, &[88, 92, 132, 149]),
    (118, 5993, &[70, 88, 117]),
    (119, 6045, &[105, 123, 159, 199]),
    (120, 6099, &[71, 109, 129, 144, 199, 216]),
    (121, 6167, &[85, 139, 160, 184]),
    (122, 6261, &[57, 69, 94, 111, 128]),
    (123, 6312, &[58, 86, 105, 122]),
    (124, 6367, &[60, 78, 91, 118, 155, 201, 207]),
    (125, 6422, &[60, 76, 112, 141, 165]),
    (126, 6478, &[55, 114, 126, 182]),
    (127, 6533, &[72, 88, 99, 119]),
    (128, 6613, &[84, 113, 119, 137]),
    (129, 6668, &[58, 70, 89, 100]),
    (130, 6723, &[58, 69, 91, 116]),
    (131, 6778, &[69, 85, 108, 139, 204, 264]),
    (132, 6834, &[83, 110, 159]),
    (133, 6943, &[53, 98, 126, 141]),
    (134, 6998, &[35, 88, 117, 165]),
    (135, 7049, &[52, 84, 95, 114]),
    (136, 7103, &[48, 92, 113]),
    (137, 7151, &[55, 68, 103, 119]),
    (138, 7204, &[49, 92, 157, 183]),
    (139, 7258, &[66, 127, 138, 154]),
    (140, 7339, &[80, 127, 185, 207]),
    (141, 7390, &[54, 65, 107, 122]),
    (142, 7444, &[59, 134, 162, 175]),
];

/// Edge `(major, build, patches)`: `Edg/major.0.build.patch`.
pub const EDGE_BUILDS: &[(u32, u32, &[u32])] = &[
    (120, 2210, &[61, 77, 89, 91, 121, 133, 144]),
    (121, 2277, &[83, 98, 106, 112, 128]),
    (122, 2365, &[52, 59, 66, 80, 92]),
    (123, 2420, &[53, 65, 81, 97]),
    (124, 2478, &[51, 67, 80, 97, 105, 109]),
    (125, 2535, &[51, 67, 79, 85]),
    (126, 2592, &[56, 61, 68, 87, 102, 113]),
    (127, 2651, &[61, 74, 86, 98, 105]),
    (128, 2739, &[42, 54, 63, 67, 79]),
    (129, 2792, &[52, 65, 79, 89]),
    (130, 2849, &[46, 52, 56, 68, 80]),
    (131, 2903, &[48, 51, 63, 70, 86, 99, 112]),
    (132, 2957, &[106, 115, 127, 140]),
    (133, 3065, &[51, 59, 69, 82, 92]),
    (134, 3124, &[51, 62, 66, 68, 72, 85, 93]),
    (135, 3179, &[54, 66, 73, 85, 98]),
    (136, 3240, &[50, 64, 76, 92, 104]),
    (137, 3296, &[52, 58, 62, 68, 83, 93]),
    (138, 3351, &[55, 65, 77, 83, 95, 109]),
    (139, 3405, &[86, 102, 111, 119, 125]),
    (140, 3485, &[54, 66, 81, 94]),
    (141, 3537, &[57, 71, 85, 92]),
    (142, 3595, &[53, 65, 76, 80]),
];

/// Android devices: `(model, brand, codename, chipset, dpi, resolution)`.
pub const ANDROID_PHONES: &[(&str, &str, &str, &str, u32, &str)] = &[
    ("SM-S918B", "samsung", "dm3q", "qcom", 450, "1080x2340"),
    ("SM-S911B", "samsung", "dm1q", "qcom", 420, "1080x2340"),
    ("SM-S921B", "samsung", "e1s", "s5e9945", 420, "1080x2340"),
    ("SM-S928B", "samsung", "e3q", "qcom", 450, "1440x3120"),
    ("SM-S901B", "samsung", "r0s", "s5e9925", 420, "1080x2340"),
    ("SM-A546B", "samsung", "a54x", "s5e8835", 450, "1080x2340"),
    ("SM-A536B", "samsung", "a53x", "s5e8825", 450, "1080x2400"),
    ("SM-A556B", "samsung", "a55x", "s5e8845", 450, "1080x2340"),
    ("SM-A155F", "samsung", "a15", "mt6789", 450, "1080x2340"),
    ("SM-A256B", "samsung", "a25x", "s5e8835", 450, "1080x2340"),
    ("SM-A346B", "samsung", "a34x", "mt6877", 450, "1080x2340"),
    ("SM-A145R", "samsung", "a14", "mt6769t", 300, "720x1600"),
    ("SM-A525F", "samsung", "a52q", "qcom", 450, "1080x2400"),
    ("SM-A127F", "samsung", "a12s", "exynos850", 300, "720x1600"),
    ("SM-G991B", "samsung", "o1s", "exynos2100", 420, "1080x2400"),
    ("SM-G998B", "samsung", "p3s", "exynos2100", 480, "1440x3200"),
    ("SM-G781B", "samsung", "r8q", "qcom", 420, "1080x2400"),
    ("SM-M146B", "samsung", "m14x", "s5e8535", 450, "1080x2408"),
    ("SM-F946B", "samsung", "q5q", "qcom", 420, "1812x2176"),
    ("SM-F731B", "samsung", "b5q", "qcom", 420, "1080x2640"),
    ("Pixel 6", "Google", "oriole", "oriole", 420, "1080x2400"),
    ("Pixel 6a", "Google", "bluejay", "bluejay", 420, "1080x2400"),
    ("Pixel 7", "Google", "panther", "panther", 420, "1080x2400"),
    ("Pixel 7a", "Google", "lynx", "lynx", 420, "1080x2400"),
    ("Pixel 8", "Google", "shiba", "shiba", 420, "1080x2400"),
    ("Pixel 8 Pro", "Google", "husky", "husky", 490, "1344x2992"),
    ("Pixel 9", "Google", "tokay", "tokay", 420, "1080x2424"),
    ("2201117TY", "Xiaomi", "spes", "qcom", 440, "1080x2400"),
    ("23021RAAEG", "Redmi", "tapas", "qcom", 440, "1080x2400"),
    (
        "23129RAA4G",
        "Redmi",
        "sapphire",
        "mt6768",
        440,
        "1080x2400",
    ),
    ("2312DRAABG", "Redmi", "emerald", "mt6789", 440, "1080x2400"),
    ("M2101K6G", "Xiaomi", "sweet", "qcom", 440, "1080x2400"),
    ("22111317G", "Redmi", "sunstone", "qcom", 440, "1080x2400"),
    ("CPH2449", "OnePlus", "OP556FL1", "qcom", 450, "1240x2772"),
    ("CPH2581", "OnePlus", "OP5913L1", "qcom", 450, "1440x3168"),
    ("CPH2591", "OPPO", "OP5AE1L1", "mt6789", 480, "1080x2400"),
    (
        "moto g54 5G",
        "motorola",
        "cancunf",
        "mt6855",
        400,
        "1080x2400",
    ),
    (
        "moto g84 5G",
        "motorola",
        "bangkk",
        "qcom",
        400,
        "1080x2400",
    ),
    (
        "motorola edge 40",
        "motorola",
        "lyriq",
        "mt6886",
        400,
        "1080x2400",
    ),
    ("RMX3630", "realme", "RE5C6CL1", "mt6833", 400, "1080x2400"),
    ("V2207", "vivo", "PD2207F_EX", "mt6769", 300, "720x1612"),
    (
        "Nokia G21",
        "Nokia",
        "QKS_sprout",
        "ums512",
        270,
        "720x1600",
    ),
    ("ANE-LX1", "HUAWEI", "HWANE", "hi6250", 480, "1080x2280"),
    ("XQ-DQ72", "Sony", "XQ-DQ72", "qcom", 420, "1080x2520"),
];

/// Android tablets (Chrome omits `Mobile` for them).
pub const ANDROID_TABLETS: &[&str] = &[
    "SM-X200",
    "SM-X710",
    "SM-T510",
    "SM-X510",
    "Lenovo TB-X606F",
    "Pixel Tablet",
    "23043RP34G",
];

/// Android release → OS build identifiers seen in WebView user agents.
pub const ANDROID_BUILDS: &[(u32, &[&str])] = &[
    (10, &["QP1A.190711.020", "QKQ1.190910.002"]),
    (
        11,
        &["RP1A.200720.012", "RKQ1.200826.002", "RP1A.201005.001"],
    ),
    (
        12,
        &["SP1A.210812.016", "SKQ1.211006.001", "SKQ1.220303.001"],
    ),
    (
        13,
        &["TP1A.220624.014", "TKQ1.221114.001", "TQ3A.230901.001"],
    ),
    (
        14,
        &[
            "UP1A.231005.007",
            "UKQ1.230924.001",
            "AP1A.240505.005",
            "UQ1A.240205.004",
        ],
    ),
    (
        15,
        &["AP3A.240905.015", "AP4A.250105.002", "AP3A.241105.008"],
    ),
];

/// Android release popularity (most used first).
pub const ANDROID_VERSIONS: &[(u32, f64)] = &[
    (14, 0.34),
    (13, 0.22),
    (15, 0.16),
    (12, 0.12),
    (11, 0.09),
    (10, 0.07),
];

/// iOS releases as they appear in the OS token (`17_5_1`), most used first.
pub const IOS_VERSIONS: &[&str] = &[
    "18_6", "18_5", "18_6_2", "18_4_1", "17_6_1", "18_3_2", "18_1_1", "18_4", "18_3_1", "17_5_1",
    "18_2_1", "16_7_10", "18_0_1", "17_7_2", "18_1", "18_2", "17_7", "17_4_1", "16_7_8", "18_3",
    "17_3_1", "15_8_3", "18_0", "17_2_1", "17_1_2", "16_6_1", "17_0_3", "16_5_1", "15_7_9",
    "16_1_2", "26_0", "26_0_1", "26_1",
];

/// Safari versions on macOS, most used first.
pub const SAFARI_MAC_VERSIONS: &[&str] = &[
    "18.6", "18.5", "26.0.1", "18.4", "17.6", "18.3.1", "18.1.1", "26.0", "18.3", "17.5", "18.2",
    "18.0.1", "16.6.1", "17.4.1", "18.1", "17.3.1", "17.2.1", "16.6", "17.1.2", "15.6.1", "17.0",
    "16.5.2", "26.1",
];

/// iPhone hardware identifiers with screen scale and pixel size (for in-app user agents).
pub const IPHONES: &[(&str, &str, &str)] = &[
    ("iPhone14,5", "3.00", "1170x2532"),
    ("iPhone15,2", "3.00", "1179x2556"),
    ("iPhone16,1", "3.00", "1179x2556"),
    ("iPhone14,7", "3.00", "1170x2532"),
    ("iPhone15,4", "3.00", "1179x2556"),
    ("iPhone13,2", "3.00", "1170x2532"),
    ("iPhone12,1", "2.00", "828x1792"),
    ("iPhone16,2", "3.00", "1290x2796"),
    ("iPhone17,1", "3.00", "1206x2622"),
    ("iPhone17,3", "3.00", "1179x2556"),
    ("iPhone14,2", "3.00", "1170x2532"),
    ("iPhone14,6", "2.00", "750x1334"),
    ("iPhone15,5", "3.00", "1290x2796"),
    ("iPhone13,4", "3.00", "1284x2778"),
    ("iPhone12,8", "2.00", "750x1334"),
    ("iPhone11,8", "2.00", "828x1792"),
];

/// Samsung Internet versions with the Chromium major they ship.
pub const SAMSUNG_BROWSER: &[(&str, u32)] = &[
    ("28.0", 130),
    ("27.0", 125),
    ("26.0", 122),
    ("25.0", 121),
    ("24.0", 117),
    ("23.0", 115),
    ("22.0", 111),
    ("21.0", 110),
];

/// Firefox majors, newest first (115 is the long-lived ESR).
pub const FIREFOX_VERSIONS: &[u32] = &[
    143, 142, 141, 140, 115, 139, 138, 137, 136, 135, 134, 133, 128, 132, 131, 130, 129, 127, 126,
    125, 124, 123, 122, 121, 120,
];

/// Well-known crawlers and tools: `(template, weight)`. `{chrome}` is a full Chrome version.
pub const CRAWLERS: &[(&str, f64)] = &[
    ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome} Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 0.6),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/{chrome} Safari/537.36", 0.3),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/{chrome} Safari/537.36", 0.4),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 0.3),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", 0.15),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", 0.1),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", 0.1),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", 0.1),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", 0.1),
    ("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", 0.05),
    ("curl/8.5.0", 0.06),
    ("curl/7.81.0", 0.04),
    ("curl/8.7.1", 0.03),
    ("curl/7.88.1", 0.03),
    ("python-requests/2.31.0", 0.05),
    ("python-requests/2.32.3", 0.04),
    ("Go-http-client/1.1", 0.04),
    ("Go-http-client/2.0", 0.02),
    ("Wget/1.21.4", 0.02),
    ("axios/1.7.7", 0.02),
    ("PostmanRuntime/7.39.0", 0.01),
];
